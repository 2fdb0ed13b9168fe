/**
 * What is wrong with a repository's stageflow configuration, where: the file, and the line and
 * column when known. The app reports these where the user acted (a reply, a failed check run).
 */
import { type Problem as WorkflowProblem, isWorkflowError } from "../../index.js";

export interface Problem {
  /** The file in the repository, e.g. `.github/stageflow/deploy.yml`. */
  file: string;
  /** 1-based. */
  line?: number;
  /** 1-based. */
  column?: number;
  message: string;
}

/** `.github/stageflow/deploy.yml:14:7 stages[1].steps[0]: unknown key 'retires'` */
export function formatProblem(p: Problem): string {
  const where = [p.file, p.line, p.column].filter((part) => part !== undefined).join(":");
  return `${where} ${p.message}`;
}

/**
 * The problems of a workflow the engine refused, in the words `stageflow validate` prints
 * (`path: message`, and the hint when there is one), at the engine's positions. Anything else thrown becomes one problem.
 */
export function workflowProblems(file: string, error: unknown): Problem[] {
  if (!isWorkflowError(error)) {
    return [
      { file, message: `could not be read: ${error instanceof Error ? error.message : String(error)}` },
    ];
  }
  return error.problems.map((p: WorkflowProblem) => {
    const hint = p.hint === undefined ? "" : ` (${p.hint})`;
    const problem: Problem = { file, message: `${p.path}: ${p.message}${hint}` };
    if (p.line !== undefined) problem.line = p.line;
    if (p.column !== undefined) problem.column = p.column;
    return problem;
  });
}
