/**
 * The `signal` kind: waits for a named signal sent to the run (`engine.signal`), with an optional
 * timeout. `signal: approval` or `signal: { name: approval, timeout: 24h }`. A signal sent before
 * the step waits is not lost: the step takes the oldest signal of its name no other step took,
 * and the same one again when it runs again. Its outputs are the signal's `payload`, `sender`
 * and `at`. At the timeout the attempt fails `timed_out` (recovery applies as usual; the deadline
 * is fixed by the step's first execution, so a retry after it times out at once).
 */
import { durationMs, parseDuration } from "../definition/durations.js";
import { LIMITS } from "../definition/limits.js";
import { InputError, TimeoutError } from "../errors.js";
import type { StepHandler } from "../handler.js";

/** What a signal name may be: the characters of an identifier, plus `.`, `-`, `:` and `/`. */
const NAME = /^[A-Za-z0-9_][A-Za-z0-9_.:/-]{0,99}$/;

const isExpression = (value: unknown) => typeof value === "string" && value.includes("${{");

/**
 * The signal name a step's config waits for: a string, or undefined when it is an expression
 * (known only when the step runs).
 */
export function signalNameOf(config: unknown): string | undefined {
  const name = typeof config === "object" && config !== null ? (config as { name?: unknown }).name : config;
  return typeof name === "string" && !isExpression(name) ? name : undefined;
}

function nameProblems(name: unknown, at: string): Array<[string, string]> {
  if (isExpression(name)) return [];
  if (typeof name !== "string" || !NAME.test(name)) {
    return [[at, `must be a signal name (letters, digits, _ . - : /), got ${JSON.stringify(name)}`]];
  }
  return [];
}

export const signalKind: StepHandler = {
  validate(config) {
    if (typeof config !== "object" || config === null || Array.isArray(config))
      return nameProblems(config, "");
    const { name, timeout, ...rest } = config as Record<string, unknown>;
    const problems = nameProblems(name, "name");
    for (const key of Object.keys(rest)) problems.push([key, "unknown key (known: name, timeout)"]);
    if (timeout !== undefined && !isExpression(timeout)) {
      const ms = parseDuration(timeout);
      if (ms === undefined) problems.push(["timeout", `must be a duration such as '30s' or '24h'`]);
      else if (ms > LIMITS.durationMs)
        problems.push(["timeout", `must be at most 30d (${LIMITS.durationMs} ms)`]);
    }
    return problems;
  },
  dependency: () => undefined,
  outputs: ["payload", "sender", "at"],
  waits: true,
  signals(config) {
    const name = signalNameOf(config);
    return name === undefined ? undefined : [name];
  },
  async execute(ctx) {
    const config = ctx.config;
    const object = typeof config === "object" && config !== null ? (config as Record<string, unknown>) : null;
    const name = object ? object.name : config;
    if (typeof name !== "string" || !NAME.test(name)) {
      throw new InputError(
        "invalid_input",
        `step '${ctx.stepId}': signal: not a signal name: ${JSON.stringify(name)}`,
      );
    }
    const timeout = object?.timeout;
    const timeoutMs =
      timeout === undefined ? undefined : durationMs(timeout, `step '${ctx.stepId}': signal.timeout`);
    const deadline = timeoutMs === undefined ? undefined : await ctx.deadline(timeoutMs);
    const got = await ctx.waitFor({ signal: name, ...(deadline === undefined ? {} : { deadline }) });
    if (!got) {
      throw new TimeoutError(
        `step '${ctx.stepId}': no signal '${name}' within ${String(timeout)}`,
        timeoutMs ?? 0,
      );
    }
    return { payload: got.payload, sender: got.sender, at: got.at };
  },
};
