/** The `wait` kind: sleeps for a duration on the engine's Clock (so tests and resumes control it). */
import { durationMs, parseDuration } from "../engine/definition/durations.js";
import type { StepHandler } from "../engine/handler.js";

export const waitStep: StepHandler = {
  validate(config) {
    if (typeof config === "string" && config.includes("${{")) return [];
    if (parseDuration(config) === undefined) {
      return [
        [
          "",
          `must be a duration such as '500ms', '30s', '2m' or a number of ms, got ${JSON.stringify(config)}`,
        ],
      ];
    }
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
