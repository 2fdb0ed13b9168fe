/**
 * The `recovery:` block of a workflow file (snake_case, as users write it): one pattern per
 * item. The checks that need the rest of the file (step ids, optional steps, unique pattern ids,
 * which keys fit which strategy) are in recovery-checks.ts.
 */
import { z } from "zod";
import { DEFAULT_WORKFLOW_PRIORITY } from "../recovery/defaults.js";
import { matchError } from "../recovery/match.js";
import { ERROR_TYPES, STRATEGIES } from "../recovery/types.js";
import { describeValue } from "./describe.js";
import { Attempts, Duration, Id } from "./fields.js";
import { didYouMean } from "./suggest.js";

export const SEVERITIES = ["info", "warning", "error", "critical"] as const;
export const BUDGET_ACTIONS = ["wait", "escalate"] as const;

const d = (description: string) => ({ description });

/** `unknown strategy 'retyr' (did you mean 'retry'?)`, or the list of known values. */
function unknownValue(what: string, known: readonly string[]) {
  return (issue: { input?: unknown }) => {
    const value = issue.input;
    if (value === undefined) return undefined;
    if (typeof value !== "string") return `expected one of ${known.join(", ")}, got ${describeValue(value)}`;
    const guess = didYouMean(value, known);
    return `unknown ${what} '${value}'${guess || ` (known: ${known.join(", ")})`}`;
  };
}

export const AlternativeSchema = z
  .strictObject({
    step: Id.optional().meta(
      d("Run this step's definition (kind, config, with, env) in the failed step's place."),
    ),
    with: z
      .record(z.string(), z.unknown())
      .optional()
      .meta(d("Values merged over the failed step's `with:` (another URL, model or template).")),
  })
  .refine((alt) => alt.step !== undefined || alt.with !== undefined, {
    error: "an alternative needs 'step' or 'with' (or both)",
  })
  .meta(d("One alternative: another step's definition, and/or `with:` overrides."));

export const RecoveryPatternSchema = z
  .strictObject({
    id: Id.meta(d("Names the pattern in events, history and statistics; unique among the patterns.")),
    match: z
      .string()
      .min(1, { error: "must not be empty (it would match every error)" })
      .superRefine((source, ctx) => {
        const why = matchError(source);
        if (why !== undefined)
          ctx.addIssue({ code: "custom", message: `invalid regular expression: ${why}` });
      })
      .meta(
        d(
          "A regular expression in RE2 syntax (no lookaround, no backreferences), searched case-insensitively in the error's text.",
        ),
      ),
    type: z.enum(ERROR_TYPES, { error: unknownValue("type", ERROR_TYPES) }).meta(d("The error type.")),
    strategy: z
      .enum(STRATEGIES, { error: unknownValue("strategy", STRATEGIES) })
      .meta(d("What to do when the pattern matches.")),
    priority: z
      .number()
      .default(DEFAULT_WORKFLOW_PRIORITY)
      .meta(d("Higher is tried first; equal priorities keep file order. The defaults use 10–50.")),
    max_attempts: Attempts.optional().meta(
      d("retry: attempts this pattern allows for a step, the first included. Default: 3."),
    ),
    base_delay: Duration.optional().meta(d("retry: the first backoff delay. Default: 1s.")),
    max_delay: Duration.optional().meta(d("retry: the backoff cap. Default: 30s.")),
    on_budget_exhausted: z
      .enum(BUDGET_ACTIONS)
      .optional()
      .meta(d("retry: what to do when the dependency's retry budget refuses a retry. Default: wait.")),
    alternatives: z
      .array(AlternativeSchema)
      .min(1)
      .optional()
      .meta(d("alternative (required): tried in order until one succeeds.")),
    skip: z.array(Id).optional().meta(d("degrade: optional steps to skip.")),
    variant: Id.optional().meta(d("degrade: a step whose definition runs instead of the failed one.")),
    severity: z
      .enum(SEVERITIES)
      .optional()
      .meta(d("escalate (or retry with on_budget_exhausted: escalate): how bad it is. Default: error.")),
    notify: z
      .string()
      .min(1)
      .optional()
      .meta(d("escalate (or retry with on_budget_exhausted: escalate): the channel observers alert.")),
  })
  .meta(d("An error pattern and the recovery strategy taken when it matches."));

export type RecoveryPatternFile = z.output<typeof RecoveryPatternSchema>;
export type AlternativeFile = z.output<typeof AlternativeSchema>;
