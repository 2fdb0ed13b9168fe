/**
 * The app's configuration, read once from the environment: Probot's own variables (APP_ID,
 * PRIVATE_KEY or PRIVATE_KEY_PATH, WEBHOOK_SECRET, PORT, HOST, GHE_HOST/GHE_PROTOCOL, LOG_LEVEL,
 * WEBHOOK_PATH) plus stageflow's (STAGEFLOW_DB, STAGEFLOW_ALLOW_RUN_STEPS,
 * STAGEFLOW_RECONCILE_MINUTES). Nothing deeper reads `process.env`.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { DEFAULT_WEBHOOK_PATH } from "./intake/server.js";

export type AppLogLevel = "trace" | "debug" | "info" | "warn" | "error" | "fatal";
const LOG_LEVELS: readonly string[] = ["trace", "debug", "info", "warn", "error", "fatal"];

export interface AppConfig {
  /** `APP_ID`; undefined: not registered yet (Probot's set-up flow). */
  appId: number | undefined;
  /** PEM, from `PRIVATE_KEY` (PEM, `\n`-escaped PEM or base64) or the file `PRIVATE_KEY_PATH`. */
  privateKey: string | undefined;
  /** `WEBHOOK_SECRET`. */
  webhookSecret: string | undefined;
  /** `PORT`. @default 3000 */
  port: number;
  /** `HOST`. @default undefined (every interface) */
  host: string | undefined;
  /** The REST API: `${GHE_PROTOCOL}://${GHE_HOST}/api/v3` for GitHub Enterprise Server. @default https://api.github.com */
  baseUrl: string;
  /** `LOG_LEVEL`. @default "info" */
  logLevel: AppLogLevel;
  /** `WEBHOOK_PATH`. @default "/api/github/webhooks" */
  webhookPath: string;
  /** `STAGEFLOW_DB`: the journal and the app's state. @default ".stageflow/app.db" */
  dbPath: string;
  /** `STAGEFLOW_ALLOW_RUN_STEPS` (1/true/yes): whether the shell `run` kind is offered. @default false */
  allowRunSteps: boolean;
  /**
   * Asking GitHub to redeliver what failed while the app was down: at start-up and every
   * `STAGEFLOW_RECONCILE_MINUTES` (0 turns it off). @default every 10 minutes
   */
  reconcile: { enabled: boolean; intervalMs: number };
  /** The environment read, for what the engine masks (workflow `secrets:`). */
  env: Readonly<Record<string, string | undefined>>;
}

/** A configuration value that cannot be used; its message names the variable. */
export class AppConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "AppConfigError";
  }
}

const TRUE = /^(1|true|yes|on)$/i;
const FALSE = /^(0|false|no|off|)$/i;

/** Reads the configuration from `env`. Throws AppConfigError naming the variable at fault. */
export function readAppConfig(
  env: Readonly<Record<string, string | undefined>>,
  options: { cwd?: string; readFile?: (path: string) => string } = {},
): AppConfig {
  const cwd = options.cwd ?? process.cwd();
  const readFile = options.readFile ?? ((p: string) => readFileSync(p, "utf8"));
  const ghe = env.GHE_HOST?.trim();
  const protocol = env.GHE_PROTOCOL?.trim() || "https";
  if (ghe && !/^https?$/.test(protocol))
    throw new AppConfigError(`GHE_PROTOCOL must be http or https, got ${JSON.stringify(protocol)}`);
  const logLevel = (env.LOG_LEVEL?.trim() || "info").toLowerCase();
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new AppConfigError(
      `LOG_LEVEL must be one of ${LOG_LEVELS.join(", ")}, got ${JSON.stringify(env.LOG_LEVEL)}`,
    );
  }
  const webhookPath = env.WEBHOOK_PATH?.trim() || DEFAULT_WEBHOOK_PATH;
  if (!webhookPath.startsWith("/"))
    throw new AppConfigError(`WEBHOOK_PATH must start with "/", got ${JSON.stringify(webhookPath)}`);
  const minutes = number(env, "STAGEFLOW_RECONCILE_MINUTES", 10);
  return {
    appId: env.APP_ID?.trim() ? integer(env, "APP_ID", 0) : undefined,
    privateKey: privateKey(env, cwd, readFile),
    webhookSecret: env.WEBHOOK_SECRET || undefined,
    port: integer(env, "PORT", 3000),
    host: env.HOST?.trim() || undefined,
    baseUrl: ghe ? `${protocol}://${ghe}/api/v3` : "https://api.github.com",
    logLevel: logLevel as AppLogLevel,
    webhookPath,
    dbPath: resolve(cwd, env.STAGEFLOW_DB?.trim() || ".stageflow/app.db"),
    allowRunSteps: flag(env, "STAGEFLOW_ALLOW_RUN_STEPS"),
    reconcile: { enabled: minutes > 0, intervalMs: minutes * 60_000 },
    env,
  };
}

function integer(env: Readonly<Record<string, string | undefined>>, name: string, fallback: number): number {
  const text = env[name]?.trim();
  if (!text) return fallback;
  if (!/^\d+$/.test(text))
    throw new AppConfigError(`${name} must be a whole number, got ${JSON.stringify(env[name])}`);
  return Number(text);
}

function number(env: Readonly<Record<string, string | undefined>>, name: string, fallback: number): number {
  const text = env[name]?.trim();
  if (!text) return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value < 0)
    throw new AppConfigError(`${name} must be a number ≥ 0, got ${JSON.stringify(env[name])}`);
  return value;
}

function flag(env: Readonly<Record<string, string | undefined>>, name: string): boolean {
  const text = env[name]?.trim() ?? "";
  if (TRUE.test(text)) return true;
  if (FALSE.test(text)) return false;
  throw new AppConfigError(`${name} must be true or false (1/0, yes/no), got ${JSON.stringify(env[name])}`);
}

/** Probot's rules: PRIVATE_KEY as PEM (`\n` escapes allowed) or base64 of it; else PRIVATE_KEY_PATH. */
function privateKey(
  env: Readonly<Record<string, string | undefined>>,
  cwd: string,
  readFile: (path: string) => string,
): string | undefined {
  const inline = env.PRIVATE_KEY?.trim();
  if (inline) {
    const pem = inline.includes("-----BEGIN") ? inline : Buffer.from(inline, "base64").toString("utf8");
    if (!pem.includes("-----BEGIN"))
      throw new AppConfigError("PRIVATE_KEY is neither a PEM key nor base64 of one");
    return pem.replace(/\\n/g, "\n");
  }
  const path = env.PRIVATE_KEY_PATH?.trim();
  if (!path) return undefined;
  let text: string;
  try {
    text = readFile(resolve(cwd, path));
  } catch (e) {
    throw new AppConfigError(`PRIVATE_KEY_PATH: cannot read ${path}: ${(e as Error).message}`);
  }
  if (!text.includes("-----BEGIN")) throw new AppConfigError(`PRIVATE_KEY_PATH: ${path} holds no PEM key`);
  return text;
}
