import { rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { LoadedConfig } from "./config.js";

/** The root of steps' scratch directories: `--work-dir`, or `work/` next to the journal. */
export function workRoot(config: LoadedConfig): string {
  return config.values.workDir ?? join(dirname(config.values.db), "work");
}

/**
 * Removes the work directory the engine gave `runId` (`<work root>/<run id>`, see engine.ts),
 * if there is one. Returns whether one was there. Only ids of the journal's shape are taken,
 * so no id can name a path outside the work root.
 */
export async function removeRunWorkDir(config: LoadedConfig, runId: string): Promise<boolean> {
  if (!/^[A-Za-z0-9_-]+$/.test(runId)) return false;
  const dir = join(workRoot(config), runId);
  try {
    await rm(dir, { recursive: true, force: false });
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw e;
  }
}
