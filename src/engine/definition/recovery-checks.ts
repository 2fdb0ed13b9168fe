/**
 * Checks of the `recovery:` block that the schema cannot express: unique pattern ids, the keys
 * each strategy needs and the keys it does not take, step ids that exist, and `skip` naming only
 * optional steps. They read the raw data, so they run even when other parts of the file failed
 * validation; values of the wrong type are left to the schema's messages.
 */
import type { Strategy } from "../recovery/types.js";
import { isRecord } from "./describe.js";
import { matchSize } from "../recovery/match.js";
import { parseDuration } from "./durations.js";
import { LIMITS } from "./limits.js";
import { formatPath, type RawProblem, type Segment } from "./problems.js";
import type { RawStage, RawStep } from "./raw.js";
import { didYouMean } from "./suggest.js";

/** The keys that only some strategies use, and which. */
const KEY_STRATEGIES: Record<string, readonly Strategy[]> = {
  max_attempts: ["retry"],
  base_delay: ["retry"],
  max_delay: ["retry"],
  on_budget_exhausted: ["retry"],
  alternatives: ["alternative"],
  skip: ["degrade"],
  variant: ["degrade"],
  // also retry with `on_budget_exhausted: escalate` (checked below)
  severity: ["escalate"],
  notify: ["escalate"],
};

const STRATEGY_NAMES = new Set<string>(["retry", "alternative", "degrade", "escalate", "fail"]);

interface Steps {
  byId: Map<string, RawStep>;
  ids: string[];
}

export function recoveryProblems(data: unknown, stages: readonly RawStage[]): RawProblem[] {
  const patterns = isRecord(data) && Array.isArray(data.recovery) ? data.recovery : [];
  const byId = new Map<string, RawStep>();
  for (const step of stages.flatMap((s) => s.steps)) {
    if (step.id !== undefined && !byId.has(step.id)) byId.set(step.id, step);
  }
  const steps: Steps = { byId, ids: [...byId.keys()] };
  const problems: RawProblem[] = [];
  const seen = new Map<string, number>();
  patterns.forEach((pattern: unknown, index) => {
    if (!isRecord(pattern)) return;
    const path: Segment[] = ["recovery", index];
    if (typeof pattern.id === "string") {
      const first = seen.get(pattern.id);
      if (first === undefined) seen.set(pattern.id, index);
      else {
        const message = `duplicate pattern id '${pattern.id}' (also ${formatPath(["recovery", first])})`;
        problems.push({ path: [...path, "id"], message });
      }
    }
    problems.push(...strategyProblems(pattern, path), ...stepProblems(pattern, path, steps));
  });
  return [...problems, ...sizeProblems(patterns)];
}

/** The patterns' compiled sizes added up: what matching one error against all of them costs. */
function sizeProblems(patterns: readonly unknown[]): RawProblem[] {
  const size = patterns.reduce<number>(
    (n, p) => n + (isRecord(p) && typeof p.match === "string" ? matchSize(p.match) : 0),
    0,
  );
  if (size <= LIMITS.patternsSize) return [];
  const message = `the patterns' match expressions compile to ${size} instructions together, at most ${LIMITS.patternsSize} (simplify them or use fewer)`;
  return [{ path: ["recovery"], message }];
}

/** Keys a strategy needs, keys it does not take, and retry delays in order. */
function strategyProblems(pattern: Record<string, unknown>, path: Segment[]): RawProblem[] {
  const strategy = pattern.strategy;
  if (typeof strategy !== "string" || !STRATEGY_NAMES.has(strategy)) return [];
  const problems: RawProblem[] = [];
  for (const [key, allowed] of Object.entries(KEY_STRATEGIES)) {
    if (pattern[key] === undefined || allowed.includes(strategy as Strategy)) continue;
    if (strategy === "retry" && (key === "severity" || key === "notify")) continue;
    problems.push({
      path,
      key,
      message: `'${key}' applies only to strategy ${allowed.join(" or ")}, not ${strategy} (remove it)`,
    });
  }
  if (strategy === "retry" && pattern.on_budget_exhausted !== "escalate") {
    for (const key of ["severity", "notify"]) {
      if (pattern[key] === undefined) continue;
      const message = `'${key}' applies to strategy escalate, or to retry with 'on_budget_exhausted: escalate'`;
      problems.push({ path, key, message });
    }
  }
  if (strategy === "alternative" && pattern.alternatives === undefined) {
    problems.push({
      path,
      message: "strategy alternative needs 'alternatives': a list of { step: <id> } or { with: {...} }",
    });
  }
  if (strategy === "degrade" && pattern.variant === undefined && isEmptyList(pattern.skip)) {
    problems.push({
      path,
      message: "strategy degrade needs 'skip' (optional steps to skip) or 'variant' (a step to run instead)",
    });
  }
  const base = parseDuration(pattern.base_delay);
  const max = parseDuration(pattern.max_delay);
  if (strategy === "retry" && base !== undefined && max !== undefined && max < base) {
    const message = `max_delay (${String(pattern.max_delay)}) must not be shorter than base_delay (${String(pattern.base_delay)})`;
    problems.push({ path: [...path, "max_delay"], message });
  }
  return problems;
}

function isEmptyList(value: unknown): boolean {
  return value === undefined || (Array.isArray(value) && value.length === 0);
}

/** Step ids in `alternatives[].step`, `skip` and `variant` exist; `skip` names optional steps. */
function stepProblems(pattern: Record<string, unknown>, path: Segment[], steps: Steps): RawProblem[] {
  const problems: RawProblem[] = [];
  const unknown = (id: unknown, at: Segment[]): RawStep | undefined => {
    if (typeof id !== "string") return undefined;
    const step = steps.byId.get(id);
    if (!step) problems.push({ path: at, message: `unknown step '${id}'${didYouMean(id, steps.ids)}` });
    return step;
  };
  if (Array.isArray(pattern.alternatives)) {
    pattern.alternatives.forEach((alt: unknown, i) => {
      if (isRecord(alt)) unknown(alt.step, [...path, "alternatives", i, "step"]);
    });
  }
  if (Array.isArray(pattern.skip)) {
    pattern.skip.forEach((id: unknown, i) => {
      const at = [...path, "skip", i];
      const step = unknown(id, at);
      if (step && step.value.optional !== true) {
        const where = formatPath(step.path);
        problems.push({
          path: at,
          message: `step '${step.id}' is not optional: a degrade may only skip optional steps (add 'optional: true' to ${where})`,
          hint: `add 'optional: true' to step '${step.id}' (${where})`,
        });
      }
    });
  }
  unknown(pattern.variant, [...path, "variant"]);
  return problems;
}
