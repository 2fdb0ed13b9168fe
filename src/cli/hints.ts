import type { LoadedConfig } from "./config.js";

/**
 * A stageflow command line to print as a hint, such that it works as printed from where the
 * person is: it repeats `--db PATH` when the journal was chosen with that flag (a config file or
 * environment variable that chose it applies to the hint as well).
 */
export function commandHint(config: LoadedConfig | undefined, ...args: string[]): string {
  const words = ["stageflow", ...args];
  if (config?.sources.db === "flag --db") words.push("--db", shellWord(config.values.db));
  return words.join(" ");
}

/** `word` quoted for a POSIX shell when it holds anything but safe characters. */
function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`;
}
