import type { StepHandler } from "../index.js";
import type { LoadedConfig } from "./config.js";
import { type ConfigFlags, loadConfig } from "./config-load.js";
import { EXIT } from "./exit-codes.js";
import type { CliIo } from "./io.js";
import { type CliRoot, type OpenRootOptions, openRoot, stepKinds } from "./root.js";
import { routable } from "./stderr-route.js";

/** What commands receive: the process's io and access to the composition root. */
export interface CommandContext {
  io: CliIo;
  /** The command's result; set by its action. */
  exitCode: number;
  /** The effective configuration for these flags (defaults < file < environment < flags). */
  config(flags: ConfigFlags): LoadedConfig;
  /** The journal and engine for this configuration (see root.ts). */
  open(config: LoadedConfig, opts?: OpenRootOptions): Promise<CliRoot>;
  /** The registered step kinds, for parsing workflow files without opening a journal. */
  kinds(): ReadonlyMap<string, StepHandler>;
}

/** The context for `io`; its stderr is routable, so the live view can keep messages off its frame. */
export function createContext(raw: CliIo): CommandContext {
  const io: CliIo = { ...raw, stderr: routable(raw.stderr) };
  return {
    io,
    exitCode: EXIT.ok,
    config: (flags) => loadConfig({ cwd: io.cwd, env: io.env, flags }),
    open: (config, opts) => openRoot(config, io, opts),
    kinds: stepKinds,
  };
}

/** Opens the root, runs `fn` with it, and closes it whatever happens. */
export async function withRoot<T>(
  ctx: CommandContext,
  config: LoadedConfig,
  opts: OpenRootOptions,
  fn: (root: CliRoot) => Promise<T>,
): Promise<T> {
  const root = await ctx.open(config, opts);
  try {
    return await fn(root);
  } finally {
    await root.close();
  }
}
