import { formatDuration } from "../definition/durations.js";
import type { StepPlan } from "../definition/plan.js";
import type { ErrorInfo } from "../errors.js";
import { backoffFrom } from "../policies/index.js";
import type { Random } from "../ports.js";
import { type CompiledPattern, classify, patternRetrySpec, retryAfterMs } from "../recovery/index.js";
import type { Alternative, ErrorType, RecoveryPattern, Strategy } from "../recovery/types.js";

/** Longest wait a Retry-After or rate-limit reset may impose. */
const MAX_RETRY_AFTER_MS = 6 * 3_600_000;
const STEP = "\u0000step";

interface Base {
  pattern: RecoveryPattern | null;
  type: ErrorType;
}

/** What the engine does after a failed attempt. */
export type Decision =
  | (Base & { kind: "retry"; strategy: "retry" | "step_retry"; delayMs: number })
  | (Base & { kind: "alternative"; strategy: "alternative"; index: number; alternative: Alternative })
  | (Base & { kind: "degrade"; strategy: "degrade" })
  | (Base & { kind: "escalate"; strategy: "escalate" })
  | (Base & { kind: "give_up"; strategy: Strategy | "step_retry" | "give_up"; why: string });

/** Per-step memory of what recovery already tried. */
export class RecoveryState {
  private readonly failures = new Map<string, number>();
  private readonly alternatives = new Map<string, number>();
  lastDelayMs: number | undefined;
  /** Attempts of this step so far that ended in a decision (all patterns). */
  decisions = 0;
  firstFailureAt: number | null = null;

  constructor(private readonly failedBefore: number) {}

  /** Counts a failure under `key` and returns how many there have been. */
  fail(key: string): number {
    const n = (this.failures.get(key) ?? 0) + 1;
    this.failures.set(key, n);
    return key === STEP ? n + this.failedBefore : n;
  }

  nextAlternative(key: string): number {
    const n = this.alternatives.get(key) ?? 0;
    this.alternatives.set(key, n + 1);
    return n;
  }
}

/**
 * Classifies a failed attempt's error against the patterns (first match by priority) and decides:
 * the pattern's strategy, or — with no match — the step's own retry policy.
 */
export function decide(
  info: ErrorInfo,
  step: Pick<StepPlan, "retry">,
  patterns: CompiledPattern[],
  state: RecoveryState,
  random: Random,
  now: number,
): Decision {
  const { pattern, type } = classify(info, patterns);
  const base = { pattern, type };
  if (!pattern) {
    const failed = state.fail(STEP);
    if (failed >= step.retry.maxAttempts) {
      const why = step.retry.maxAttempts > 1 ? `gave up after ${failed} attempts` : "the step does not retry";
      return {
        ...base,
        kind: "give_up",
        strategy: step.retry.maxAttempts > 1 ? "step_retry" : "give_up",
        why,
      };
    }
    const backoff = backoffFrom(step.retry).delayFor(failed, random, state.lastDelayMs);
    const hinted = retryAfterMs(info, now);
    const delayMs = hinted === undefined ? backoff : Math.min(hinted, MAX_RETRY_AFTER_MS);
    state.lastDelayMs = delayMs;
    return { ...base, kind: "retry", strategy: "step_retry", delayMs };
  }
  switch (pattern.strategy) {
    case "retry": {
      const failed = state.fail(pattern.id);
      const spec = patternRetrySpec(pattern, step.retry.jitter);
      const max = spec.maxAttempts;
      if (failed >= max)
        return {
          ...base,
          kind: "give_up",
          strategy: "retry",
          why: `pattern '${pattern.id}' allows ${max} attempts`,
        };
      const hinted = retryAfterMs(info, now);
      let delayMs =
        hinted === undefined
          ? backoffFrom(spec).delayFor(failed, random, state.lastDelayMs)
          : Math.min(hinted, MAX_RETRY_AFTER_MS);
      // A rate limit asks for at least the base delay: jitter spreads retries above it, never below.
      if (hinted === undefined && pattern.type === "rate_limit")
        delayMs = Math.max(delayMs, spec.baseDelayMs);
      state.lastDelayMs = delayMs;
      return { ...base, kind: "retry", strategy: "retry", delayMs };
    }
    case "alternative": {
      const index = state.nextAlternative(pattern.id);
      const alternative = pattern.alternatives?.[index];
      if (!alternative) {
        return {
          ...base,
          kind: "give_up",
          strategy: "alternative",
          why: `every alternative of '${pattern.id}' failed`,
        };
      }
      return { ...base, kind: "alternative", strategy: "alternative", index, alternative };
    }
    case "degrade":
      return { ...base, kind: "degrade", strategy: "degrade" };
    case "escalate":
      return { ...base, kind: "escalate", strategy: "escalate" };
    default:
      return { ...base, kind: "give_up", strategy: "fail", why: `pattern '${pattern.id}' says fail` };
  }
}

/** A short text of the decision, journaled with the attempt. */
export function describeDecision(d: Decision): string {
  const by = d.pattern ? ` (${d.pattern.id})` : "";
  switch (d.kind) {
    case "retry":
      return `retry in ${formatDuration(d.delayMs)}${by}`;
    case "alternative":
      return `alternative ${d.index + 1}${d.alternative.step ? `: step ${d.alternative.step}` : ""}${by}`;
    case "degrade":
      return d.pattern ? `degrade${by}` : "degrade (optional step)";
    case "escalate":
      return `escalate${by}`;
    default:
      return `give up${by}: ${d.why}`;
  }
}
