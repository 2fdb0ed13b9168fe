/**
 * The `wait` kind: waits for a duration on the engine's Clock. Durable: its first execution
 * journals the deadline; after a restart or a wake it waits only the remainder. A run that only
 * waits is parked (docs/decisions/0010-parked-runs.md).
 */
import { durationMs, parseDuration } from "../definition/durations.js";
import { LIMITS } from "../definition/limits.js";
import type { StepHandler } from "../handler.js";

export const waitKind: StepHandler = {
  validate(config) {
    if (typeof config === "string" && config.includes("${{")) return [];
    const ms = parseDuration(config);
    if (ms === undefined) {
      return [
        [
          "",
          `must be a duration such as '500ms', '30s', '2m' or a number of ms, got ${JSON.stringify(config)}`,
        ],
      ];
    }
    if (ms > LIMITS.durationMs) return [["", `must be at most 30d (${LIMITS.durationMs} ms)`]];
    return [];
  },
  dependency: () => undefined,
  outputs: [],
  waits: true,
  async execute(ctx) {
    const ms = durationMs(ctx.config, `step '${ctx.stepId}': wait`);
    const deadline = await ctx.deadline(ms);
    if (deadline > ctx.clock.now()) await ctx.waitFor({ deadline });
    return undefined;
  },
};
