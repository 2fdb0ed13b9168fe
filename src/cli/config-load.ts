import { resolve } from "node:path";
import {
  type CliConfig,
  CONFIG_DEFAULTS,
  ConfigError,
  type ConfigKey,
  type ConfigLayerValues,
  configLayerSchema,
  type LoadedConfig,
} from "./config.js";
import {
  type ConfigFlags,
  envLayer,
  FLAG_NAMES,
  fileLayer,
  findConfigFile,
  flagLayer,
  type Layer,
} from "./config-sources.js";

export type { ConfigFlags } from "./config-sources.js";

/** Reads and validates every layer, then merges them: defaults < file < environment < flags. */
export function loadConfig(opts: {
  cwd: string;
  env: Record<string, string | undefined>;
  flags?: ConfigFlags;
}): LoadedConfig {
  const { cwd, env, flags = {} } = opts;
  const file = findConfigFile(cwd, flags.config);
  const layers = [...(file ? [fileLayer(file, cwd)] : []), envLayer(env, cwd), flagLayer(flags, cwd)];
  const values: CliConfig = { ...CONFIG_DEFAULTS, db: resolve(cwd, CONFIG_DEFAULTS.db) };
  const sources: LoadedConfig["sources"] = Object.fromEntries(
    Object.keys(CONFIG_DEFAULTS).map((key) => [key, "default"]),
  );
  let alerts: LoadedConfig["alerts"];
  for (const layer of layers) {
    const { alerts: section, ...parsed } = validate(layer);
    if (section !== undefined) alerts = { file: layer.name, value: section };
    for (const [key, value] of Object.entries(parsed) as [ConfigKey, unknown][]) {
      if (value === undefined) continue;
      const isPath = key === "db" || key === "workDir";
      Object.assign(values, { [key]: isPath ? resolve(layer.baseDir, value as string) : value });
      sources[key] = layer.source(key);
    }
  }
  const envNames = Object.keys(env)
    .filter((name) => name.startsWith("STAGEFLOW_"))
    .sort();
  return { values, sources, envNames, ...(file ? { file } : {}), ...(alerts ? { alerts } : {}) };
}

function validate(layer: Layer): ConfigLayerValues {
  const result = configLayerSchema.safeParse(layer.values);
  if (result.success) return result.data;
  const problems = result.error.issues.flatMap((issue) =>
    issue.code === "unrecognized_keys"
      ? issue.keys.map((key) => `${layer.name}: unknown key '${key}'${suggest(key)}`)
      : [`${layer.label(String(issue.path[0]))}: ${issue.message}`],
  );
  throw new ConfigError(problems);
}

function suggest(key: string): string {
  const norm = (s: string) => s.toLowerCase().replace(/[_-]/g, "");
  const match = Object.keys(FLAG_NAMES).find((known) => norm(known) === norm(key));
  return match ? ` (did you mean '${match}'?)` : ` (known keys: ${Object.keys(FLAG_NAMES).join(", ")})`;
}
