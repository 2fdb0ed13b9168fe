import { existsSync } from "node:fs";
import { dirname, isAbsolute, relative, resolve } from "node:path";
import { parse as parseYaml } from "yaml";
import { errorMessage, jsonSyntaxWhere } from "../index.js";
import { ConfigError, type ConfigKey, show } from "./config.js";
import { readTextFile } from "./read-file.js";

/** Where configuration comes from: the config file, STAGEFLOW_* variables, and flags. */

/** Configuration flags as commander hands them over (strings, before validation). */
export interface ConfigFlags {
  config?: string;
  db?: string;
  durability?: string;
  leaseMs?: string;
  logLevel?: string;
  workDir?: string;
  json?: boolean;
}

export const CONFIG_FILE_NAMES = ["stageflow.config.json", "stageflow.config.yaml", "stageflow.config.yml"];

export const ENV_VARS: Readonly<Record<string, ConfigKey>> = {
  STAGEFLOW_DB: "db",
  STAGEFLOW_DURABILITY: "durability",
  STAGEFLOW_LEASE_MS: "leaseMs",
  STAGEFLOW_LOG_LEVEL: "logLevel",
  STAGEFLOW_WORK_DIR: "workDir",
};

export const FLAG_NAMES: Readonly<Record<ConfigKey, string>> = {
  db: "--db",
  durability: "--durability",
  leaseMs: "--lease-ms",
  logLevel: "--log-level",
  workDir: "--work-dir",
  json: "--json",
};

export interface Layer {
  /** The source as a whole: the file name, `environment` or `flags`. */
  name: string;
  values: Record<string, unknown>;
  /** How an error names the field, e.g. `stageflow.config.yaml: durability` or `STAGEFLOW_DB`. */
  label(key: string): string;
  /** How `sources` records the origin, e.g. `file stageflow.config.yaml`, `env STAGEFLOW_DB`. */
  source(key: string): string;
  /** Relative paths in this layer are resolved against it. */
  baseDir: string;
}

export function findConfigFile(cwd: string, explicit: string | undefined): string | undefined {
  if (explicit !== undefined) {
    const path = resolve(cwd, explicit);
    if (!existsSync(path)) throw new ConfigError([`--config: no such file ${show(explicit)}`]);
    return path;
  }
  const found = CONFIG_FILE_NAMES.map((name) => resolve(cwd, name)).filter((path) => existsSync(path));
  if (found.length > 1) {
    const names = found.map((path) => relative(cwd, path)).join(" and ");
    throw new ConfigError([`found ${names}; keep one, or choose with --config FILE`]);
  }
  return found[0];
}

export function fileLayer(path: string, cwd: string): Layer {
  const name = isAbsolute(path) && path.startsWith(cwd) ? relative(cwd, path) : path;
  let data: unknown;
  let text = "";
  try {
    text = readTextFile(path, 1024 * 1024);
    data = path.endsWith(".json") ? JSON.parse(text) : parseYaml(text);
  } catch (e) {
    // Not JSON.parse's message: it quotes the file around the error (a secret setting, maybe).
    const where = e instanceof SyntaxError ? jsonSyntaxWhere(text) : "";
    const why =
      e instanceof SyntaxError ? `invalid JSON${where ? ` ${where}` : ""}` : errorMessage(e).split("\n")[0];
    throw new ConfigError([`${name}: ${why}`]);
  }
  data ??= {};
  if (typeof data !== "object" || Array.isArray(data)) {
    throw new ConfigError([`${name}: expected a mapping of settings, got ${show(data)}`]);
  }
  return {
    name,
    values: data as Record<string, unknown>,
    label: (key) => `${name}: ${key}`,
    source: () => `file ${name}`,
    baseDir: dirname(path),
  };
}

export function envLayer(env: Record<string, string | undefined>, cwd: string): Layer {
  const values: Record<string, unknown> = {};
  const names: Record<string, string> = {};
  for (const [name, key] of Object.entries(ENV_VARS)) {
    const raw = env[name];
    if (raw === undefined || raw === "") continue;
    values[key] = key === "leaseMs" ? integer(raw) : raw;
    names[key] = name;
  }
  return {
    name: "environment",
    values,
    label: (key) => names[key] ?? key,
    source: (key) => `env ${names[key]}`,
    baseDir: cwd,
  };
}

export function flagLayer(flags: ConfigFlags, cwd: string): Layer {
  const values: Record<string, unknown> = {};
  for (const key of Object.keys(FLAG_NAMES) as ConfigKey[]) {
    const value = flags[key];
    if (value !== undefined) values[key] = key === "leaseMs" ? integer(String(value)) : value;
  }
  const name = (key: string) => FLAG_NAMES[key as ConfigKey] ?? key;
  return { name: "flags", values, label: name, source: (key) => `flag ${name(key)}`, baseDir: cwd };
}

/** `"42"` → 42; anything else stays a string, so the error can show it. */
function integer(raw: string): unknown {
  return /^\s*\d+\s*$/.test(raw) ? Number(raw) : raw;
}
