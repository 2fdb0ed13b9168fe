/**
 * Steps' scratch files. Each run has one directory under the engine's work root,
 * `<root>/<runId>`, made owner-only (0700) by the step kinds that use it (files in it are 0600).
 * The engine removes it when the run ends succeeded, degraded or cancelled; after a failure it is
 * kept for inspection until `stageflow prune` deletes the run (src/cli/work-dirs.ts).
 */
import { existsSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import type { RunStatus } from "./journal.js";

/** Final statuses after which a run's work directory is removed at once. */
export const WORK_DIR_REMOVED_AFTER: readonly RunStatus[] = ["succeeded", "degraded", "cancelled"];

/** The run's scratch directory under `root`. */
export function runWorkDir(root: string, runId: string): string {
  if (runId === "" || runId === "." || runId === ".." || /[/\\]/.test(runId)) {
    throw new TypeError(`not a run id usable as a directory name: '${runId}'`);
  }
  return join(root, runId);
}

/** Removes the run's scratch directory and everything in it; nothing happens when it is missing. */
export async function removeRunWorkDir(root: string, runId: string): Promise<void> {
  const dir = runWorkDir(root, runId);
  // Checked synchronously: most runs have no work files, and then ending a run waits for no I/O.
  if (existsSync(dir)) await rm(dir, { recursive: true, force: true });
}
