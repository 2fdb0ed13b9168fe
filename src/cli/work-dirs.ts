import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { removeRunWorkDir as removeDir, runWorkDir } from "../index.js";
import type { LoadedConfig } from "./config.js";

/** The root of steps' scratch directories: `--work-dir`, or `work/` next to the journal. */
export function workRoot(config: LoadedConfig): string {
  return config.values.workDir ?? join(dirname(config.values.db), "work");
}

/**
 * Removes the work directory the engine gave `runId` (`<work root>/<run id>`, the engine's rule in
 * engine/work-dir.ts), if there is one. Returns whether one was there. An id that cannot name a
 * directory under the work root is no directory of ours.
 */
export async function removeRunWorkDir(config: LoadedConfig, runId: string): Promise<boolean> {
  const root = workRoot(config);
  let dir: string;
  try {
    dir = runWorkDir(root, runId);
  } catch {
    return false;
  }
  if (!existsSync(dir)) return false;
  await removeDir(root, runId);
  return true;
}
