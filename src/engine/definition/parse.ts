import { withEngineKinds } from "../kinds/index.js";
import { compile } from "./compile.js";
import { issueProblems } from "./issues.js";
import { type Kinds, kindProblems } from "./kinds.js";
import type { WorkflowPlan } from "./plan.js";
import type { Locate } from "./positions.js";
import { formatPath, type Problem, type RawProblem, sortProblems, WorkflowError } from "./problems.js";
import { rawStages } from "./raw.js";
import { expressionProblems } from "./references.js";
import { runnableProblems } from "./runnable.js";
import { WorkflowSchema } from "./schema.js";
import { semanticProblems } from "./semantics.js";
import { shapeProblems } from "./shape.js";
import { loadYaml } from "./yaml-load.js";

export interface WorkflowOptions {
  /** Named in messages and kept as the plan's `source`. */
  file?: string;
  /**
   * The registered step kinds; a step must use exactly one of them. The engine's own kinds
   * (`wait`, `signal`) are always known.
   */
  kinds: Kinds;
}

/**
 * Parses, validates and compiles a workflow file. Throws WorkflowError listing every problem
 * with its file:line:column (YAML syntax errors and LIMITS included). `validate`, `run` and
 * `resume` all take their plans from here, so they accept and refuse the same files.
 */
export function parseWorkflow(text: string, opts: WorkflowOptions): WorkflowPlan {
  const { data, locate } = loadYaml(text, opts.file);
  return validateAndCompile(data, { ...opts, kinds: withEngineKinds(opts.kinds) }, locate);
}

/** Validates and compiles a workflow given as an object (no line numbers in messages). */
export function compileWorkflow(definition: unknown, opts: WorkflowOptions): WorkflowPlan {
  return validateAndCompile(definition, { ...opts, kinds: withEngineKinds(opts.kinds) });
}

function validateAndCompile(
  data: unknown,
  opts: WorkflowOptions,
  locate?: Locate,
  final = true,
): WorkflowPlan {
  const fail = (problems: RawProblem[]) =>
    new WorkflowError(sortProblems(problems.map((p) => located(p, opts.file, locate))));
  const shape = shapeProblems(data);
  if (shape.length) throw fail(shape);
  const stages = rawStages(data);
  const parsed = WorkflowSchema.safeParse(data);
  const raw: RawProblem[] = [
    ...(parsed.success
      ? []
      : parsed.error.issues.flatMap((issue) => issueProblems(issue, data, WorkflowSchema))),
    ...kindProblems(stages, opts.kinds),
    ...semanticProblems(data, stages),
    ...expressionProblems(data, stages, opts.kinds),
  ];
  if (raw.length || !parsed.success) throw fail(raw);
  const plan = compile(parsed.data, { kinds: opts.kinds, file: opts.file, locate });
  if (final) {
    const recompile = (definition: unknown) =>
      validateAndCompile(definition, { kinds: opts.kinds }, undefined, false);
    const runnable = runnableProblems(plan, recompile);
    if (runnable.length) throw fail(runnable);
  }
  return plan;
}

function located(p: RawProblem, file: string | undefined, locate: Locate | undefined): Problem {
  const at = locate?.(p.path, p.key);
  const problem: Problem = { path: formatPath(p.path), message: p.message };
  if (file !== undefined) problem.file = file;
  if (at) Object.assign(problem, at);
  if (p.hint !== undefined) problem.hint = p.hint;
  return problem;
}
