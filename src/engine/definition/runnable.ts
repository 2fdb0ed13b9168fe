/**
 * The last check of a workflow: build from the compiled plan what the engine builds from it before
 * and while steps run — each step's timeout and retry policy, the recovery patterns and their
 * backoff — and compile the normalised definition again as resume will. Whatever of this throws is
 * a problem of the file, reported at its path; so a plan `validate` accepts is one `run` can start
 * (both get their plans from parseWorkflow), and a run can be resumed from its recorded definition.
 */
import { backoffFrom, TimeoutPolicy } from "../policies/index.js";
import { systemClock } from "../ports.js";
import { compileMatch } from "../recovery/match.js";
import { patternRetrySpec } from "../recovery/pattern-retry.js";
import type { WorkflowPlan } from "./plan.js";
import type { RawProblem, Segment } from "./problems.js";

export function runnableProblems(
  plan: WorkflowPlan,
  recompile: (definition: unknown) => WorkflowPlan,
): RawProblem[] {
  const problems: RawProblem[] = [];
  const attempt = (path: Segment[], build: () => unknown) => {
    try {
      build();
    } catch (e) {
      problems.push({ path, message: `cannot run: ${e instanceof Error ? e.message : String(e)}` });
    }
  };
  plan.stages.forEach((stage, s) =>
    stage.steps.forEach((step, i) => {
      const path = ["stages", s, "steps", i];
      attempt(path, () => new TimeoutPolicy({ ms: step.timeoutMs, clock: systemClock }));
      attempt(path, () => backoffFrom(step.retry));
    }),
  );
  plan.recovery.forEach((pattern, p) => {
    attempt(["recovery", p, "match"], () => compileMatch(pattern.match));
    if (pattern.strategy === "retry")
      attempt(["recovery", p], () => backoffFrom(patternRetrySpec(pattern, "full")));
  });
  if (problems.length === 0) attempt([], () => sameOnResume(plan, recompile(plan.definition)));
  return problems;
}

/** The plan that resume compiles from the recorded definition must be this one. */
function sameOnResume(plan: WorkflowPlan, again: WorkflowPlan): void {
  const steps = (p: WorkflowPlan) => p.stages.flatMap((s) => s.steps.map((step) => step.identity)).join();
  if (again.hash !== plan.hash || steps(again) !== steps(plan)) {
    throw new Error(
      "the definition recorded with a run compiles to another plan, so the run could not be resumed",
    );
  }
}
