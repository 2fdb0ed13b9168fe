import { z } from "zod";
import { describeValue } from "./describe.js";

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

const durationError = (issue: Issue) =>
  `expected a duration such as '500ms', '30s', '5m' or '1h' (or a number of milliseconds)${got(issue)}`;

/** `500ms`, `30s`, `5m`, `1h`, `1d`, or a number of milliseconds. */
export const Duration = z
  .union(
    [
      z.string().regex(DURATION_PATTERN, { error: durationError }),
      z.number().min(0, { error: durationError }),
    ],
    { error: durationError },
  )
  .meta({ description: "A duration: '500ms', '30s', '5m', '1h', '1d', or a number of milliseconds." });

/** Names that would reach object prototypes if used as keys. */
const RESERVED_IDS = ["__proto__", "constructor", "prototype"];

export const Id = z
  .string({ error: (issue) => `expected an id${got(issue)}` })
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

export const BACKOFFS = ["exponential", "linear", "constant"] as const;
export const JITTERS = ["full", "equal", "decorrelated", "none"] as const;

/** A retry policy; every field optional (merged over `defaults.retry` and the built-in policy). */
export const Retry = z
  .strictObject({
    max_attempts: z
      .int()
      .min(1)
      .optional()
      .meta({ description: "Total attempts including the first; 1 means no retry. Built-in default: 1." }),
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
