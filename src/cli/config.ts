import { z } from "zod";
import { InputError } from "../index.js";

export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export type Durability = "process" | "machine";

/** The CLI's configuration: defaults < config file < STAGEFLOW_* environment < flags. */
export interface CliConfig {
  /** Path of the SQLite journal (absolute once loaded). @default ".stageflow/state.db" */
  db: string;
  /** `process`: survives a crash of this process; `machine`: also a power loss (fsync). @default "process" */
  durability: Durability;
  /** How long a run's lease lasts without renewal, in ms. @default 30000 */
  leaseMs: number;
  /** Lowest log level written to stderr. @default "warn" */
  logLevel: LogLevel;
  /** Root of steps' scratch directories. @default `<directory of db>/work` */
  workDir?: string;
  /** Print only JSON (one document) on stdout. @default false */
  json: boolean;
}

export type ConfigKey = keyof CliConfig;

export const CONFIG_DEFAULTS: Omit<CliConfig, "workDir"> = {
  db: ".stageflow/state.db",
  durability: "process",
  leaseMs: 30_000,
  logLevel: "warn",
  json: false,
};

/** A value of unknown origin, quoted the way error messages show it. */
export function show(value: unknown): string {
  return typeof value === "string" ? `'${value}'` : JSON.stringify(value);
}

const expected = (what: string) => ({
  error: (iss: { input?: unknown }) => `expected ${what}, got ${show(iss.input)}`,
});
const path = z.custom<string>((v) => typeof v === "string" && v.trim() !== "", expected("a non-empty path"));

/** One layer of configuration: every key optional, unknown keys rejected. */
export const configLayerSchema = z
  .strictObject({
    db: path,
    durability: z.enum(["process", "machine"], expected("'process' or 'machine'")),
    leaseMs: z.custom<number>(
      (v) => Number.isSafeInteger(v) && (v as number) > 0,
      expected("a positive integer"),
    ),
    logLevel: z.enum(LOG_LEVELS, expected(LOG_LEVELS.map((l) => `'${l}'`).join(", "))),
    workDir: path,
    json: z.boolean(expected("true or false")),
    /** The `alerts:` section (file only), checked by `stageflow alert` (docs/configuration.md, "Alerts"). */
    alerts: z.unknown(),
  })
  .partial();

export type ConfigLayerValues = z.infer<typeof configLayerSchema>;

/** Bad configuration: the message names the source (file, variable or flag) and the field. */
export class ConfigError extends InputError {
  constructor(problems: readonly string[]) {
    super("invalid_input", problems.join("\n"), problems);
  }
}

/** The effective configuration and, per key, where its value came from. */
export interface LoadedConfig {
  values: CliConfig;
  /** e.g. `{ db: "flag --db", leaseMs: "env STAGEFLOW_LEASE_MS", durability: "default" }`. */
  sources: Partial<Record<ConfigKey, string>>;
  /** The config file that was read, if any. */
  file?: string;
  /** Names (never values) of the STAGEFLOW_* environment variables that were set. */
  envNames: string[];
  /**
   * The configuration file's `alerts:` section as written (it may hold secrets: kept out of
   * `values`, which diagnostics show) and the file's name for messages.
   */
  alerts?: { file: string; value: unknown };
}
