import { relative } from "node:path";
import type { LoadedConfig } from "./config.js";
import type { CliIo } from "./io.js";

/**
 * A `stageflow` command line to print as a hint, written so that it works as printed from the
 * same shell: `npx stageflow` when this process was started by npm (`npm start`, `npx`, `npm run`
 * — `stageflow` alone is not on the PATH there), and `--db` when the journal was chosen by a flag.
 */
export function hintCommand(io: CliIo, config: LoadedConfig | undefined, args: string): string {
  const program = io.env.npm_command ? "npx stageflow" : "stageflow";
  const db = config?.sources.db?.startsWith("flag") ? ` --db ${quote(shown(io.cwd, config.values.db))}` : "";
  return `${program} ${args}${db}`;
}

function shown(cwd: string, path: string): string {
  const rel = relative(cwd, path);
  return rel && !rel.startsWith("..") ? rel : path;
}

function quote(arg: string): string {
  return /^[\w./:@%+=-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, "'\\''")}'`;
}
