/** The `wait` kind: sleeps for a duration on the engine's Clock (so tests and resumes control it). */
import { durationMs, parseDuration } from "../engine/definition/durations.js";
import { LIMITS } from "../engine/definition/limits.js";
import type { StepHandler } from "../engine/handler.js";

export const waitStep: StepHandler = {
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
  async execute(ctx) {
    const ms = durationMs(ctx.config, `step '${ctx.stepId}': wait`);
    await ctx.clock.sleep(ms, ctx.signal);
    return undefined;
  },
};
