import { z } from "zod";
import { describeValue } from "./describe.js";
import { parseDuration } from "./durations.js";
import { LIMITS } from "./limits.js";

/** Step, stage, input and output ids: usable as `steps.<id>` in expressions. */
export const ID_PATTERN = /^[A-Za-z_][A-Za-z0-9_-]*$/;
/** Workflow names. */
export const NAME_PATTERN = /^[A-Za-z0-9_.-]+$/;
/** Environment variable names. */
export const ENV_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Same grammar as parseDuration() in durations.ts (kept here so the JSON Schema carries it). */
const DURATION_PATTERN = /^\s*\d+(?:\.\d+)?\s*(?:ms|s|m|h|d)\s*$/;

type Issue = { input?: unknown };
const got = (issue: Issue) => `, got ${describeValue(issue.input)}`;

const MAX_MS = LIMITS.durationMs;

/** The message for a value that is not a duration of `min`–30d: the range when it is a duration. */
function durationError(min: number) {
  return (issue: Issue) => {
    const ms = parseDuration(issue.input);
    const written = typeof issue.input === "string" && DURATION_PATTERN.test(issue.input);
    if ((ms === undefined && written) || (ms !== undefined && ms > MAX_MS))
      return `must be at most ${MAX_MS / 86_400_000}d (${MAX_MS} ms)${got(issue)}`;
    if (ms !== undefined && ms < min)
      return `must be at least ${min}ms (a timeout of 0 would end every attempt at once)${got(issue)}`;
    return `expected a duration such as '500ms', '30s', '5m' or '1h' (or a number of milliseconds)${got(issue)}`;
  };
}

const inRange = (min: number) => (text: string) => {
  const ms = parseDuration(text);
  return ms !== undefined && ms >= min && ms <= MAX_MS;
};

function durationOf(min: number, description: string) {
  const error = durationError(min);
  return z
    .union(
      [
        z.string().regex(DURATION_PATTERN, { error }).refine(inRange(min), { error }),
        z.number().min(min, { error }).max(MAX_MS, { error }),
      ],
      { error },
    )
    .meta({ description });
}

/** `500ms`, `30s`, `5m`, `1h`, `1d`, or a number of milliseconds; 0 to 30 days. */
export const Duration = durationOf(
  0,
  "A duration: '500ms', '30s', '5m', '1h', '1d', or a number of milliseconds; at most 30d.",
);

/** A time limit: a Duration of at least 1ms. */
export const Timeout = durationOf(
  1,
  "A time limit: '500ms', '30s', '5m', '1h', '1d', or a number of milliseconds; from 1ms to 30d.",
);

/** Names that would reach object prototypes if used as keys. */
const RESERVED_IDS = ["__proto__", "constructor", "prototype"];

export const Id = z
  .string({ error: (issue) => `expected an id${got(issue)}` })
  .max(LIMITS.idLength, {
    error: (issue) => `an id has at most ${LIMITS.idLength} characters, got ${String(issue.input).length}`,
  })
  .regex(ID_PATTERN, {
    error: (issue) =>
      `must start with a letter or '_' and hold only letters, digits, '_' and '-'${got(issue)}`,
  })
  .refine((id) => !RESERVED_IDS.includes(id), {
    error: (issue) => `'${String(issue.input)}' is a reserved name`,
  });

/** A condition: an expression with or without `${{ }}`, or a literal boolean. */
export const Condition = z
  .union([z.string(), z.boolean()], { error: (issue) => `expected an expression or a boolean${got(issue)}` })
  .meta({
    description:
      "Run only when this expression is truthy; `${{ }}` around it is optional. Example: `!inputs.dry_run`.",
  });

/** Total attempts, the first included: 1 to LIMITS.attempts. */
export const Attempts = z.int().min(1).max(LIMITS.attempts);

export const BACKOFFS = ["exponential", "linear", "constant"] as const;
export const JITTERS = ["full", "equal", "decorrelated", "none"] as const;

/** A retry policy; every field optional (merged over `defaults.retry` and the built-in policy). */
export const Retry = z
  .strictObject({
    max_attempts: Attempts.optional().meta({
      description: "Total attempts including the first; 1 means no retry. Built-in default: 1.",
    }),
    backoff: z
      .enum(BACKOFFS)
      .optional()
      .meta({ description: "How the delay grows between attempts. Built-in default: exponential." }),
    base_delay: Duration.optional().meta({
      description: "Delay before the first retry. Built-in default: 1s.",
    }),
    max_delay: Duration.optional().meta({ description: "Upper bound of any delay. Built-in default: 30s." }),
    jitter: z
      .enum(JITTERS)
      .optional()
      .meta({ description: "Randomisation of delays. Built-in default: full." }),
  })
  .meta({ description: "Retry policy, merged field by field over defaults.retry and the built-in policy." });
