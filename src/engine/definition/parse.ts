import { LineCounter, parseDocument, type YAMLError } from "yaml";
import { errorMessage } from "../errors.js";
import { compile } from "./compile.js";
import { issueProblems } from "./issues.js";
import { type Kinds, kindProblems } from "./kinds.js";
import type { WorkflowPlan } from "./plan.js";
import { type Locate, yamlLocator } from "./positions.js";
import { formatPath, type Problem, type RawProblem, sortProblems, WorkflowError } from "./problems.js";
import { rawStages } from "./raw.js";
import { expressionProblems } from "./references.js";
import { WorkflowSchema } from "./schema.js";
import { semanticProblems } from "./semantics.js";

export interface WorkflowOptions {
  /** Named in messages and kept as the plan's `source`. */
  file?: string;
  /** The registered step kinds; a step must use exactly one of them. */
  kinds: Kinds;
}

/**
 * Parses, validates and compiles a workflow file. Throws WorkflowError listing every problem
 * with its file:line:column (YAML syntax errors included).
 */
export function parseWorkflow(text: string, opts: WorkflowOptions): WorkflowPlan {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, keepSourceTokens: true });
  const syntax = doc.errors.map((e) => yamlProblem(e, lines, opts.file));
  if (syntax.length) throw new WorkflowError(sortProblems(syntax));
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    throw new WorkflowError([{ file: opts.file, path: "(root)", message: errorMessage(e) }]);
  }
  return validateAndCompile(data, opts, yamlLocator(doc, lines));
}

/** Validates and compiles a workflow given as an object (no line numbers in messages). */
export function compileWorkflow(definition: unknown, opts: WorkflowOptions): WorkflowPlan {
  return validateAndCompile(definition, opts);
}

function validateAndCompile(data: unknown, opts: WorkflowOptions, locate?: Locate): WorkflowPlan {
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
  if (raw.length || !parsed.success) {
    throw new WorkflowError(sortProblems(raw.map((p) => located(p, opts.file, locate))));
  }
  return compile(parsed.data, { kinds: opts.kinds, file: opts.file, locate });
}

function located(p: RawProblem, file: string | undefined, locate: Locate | undefined): Problem {
  const at = locate?.(p.path, p.key);
  const problem: Problem = { path: formatPath(p.path), message: p.message };
  if (file !== undefined) problem.file = file;
  if (at) Object.assign(problem, at);
  if (p.hint !== undefined) problem.hint = p.hint;
  return problem;
}

function yamlProblem(e: YAMLError, lines: LineCounter, file: string | undefined): Problem {
  const { line, col } = lines.linePos(e.pos[0]);
  const problem: Problem = { line, column: col, path: "(root)", message: e.message };
  return file === undefined ? problem : { file, ...problem };
}
