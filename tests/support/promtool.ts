/**
 * promtool for the tests of deploy/: $PROMTOOL, the PATH's, or the one scripts/promtool.mjs
 * extracts from the Debian package `prometheus` into .cache/prometheus (.ci/run does it first).
 * Outside CI a machine without it skips those tests (`reason` says why); in CI (CI set and not
 * "false") they run and fail on its absence.
 */
import { ensurePromtool } from "../../scripts/promtool.mjs";

export const inCI = !!process.env.CI && process.env.CI !== "false";

/** The path of promtool, or why there is none. */
export function findPromtool(): { path: string; reason?: undefined } | { path?: undefined; reason: string } {
  try {
    return { path: ensurePromtool() };
  } catch (e) {
    return { reason: e instanceof Error ? e.message : String(e) };
  }
}
