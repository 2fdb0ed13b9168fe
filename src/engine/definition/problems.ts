import { RefusedError } from "../errors.js";

/** A path into the workflow file: keys and list indices. */
export type Segment = string | number;

/** A problem as the checks find it: where in the data, and (for unknown keys) which key. */
export interface RawProblem {
  path: Segment[];
  message: string;
  /** Report the position of this key of the object at `path` rather than of the value. */
  key?: string;
  hint?: string;
}

/** A problem as users see it. */
export interface Problem {
  file?: string;
  /** 1-based. */
  line?: number;
  /** 1-based. */
  column?: number;
  /** `stages[1].steps[0].retry.max_attempts`, or `(root)`. */
  path: string;
  message: string;
  hint?: string;
}

/** `deploy.yml:14:7 stages[1].steps[0]: unknown key 'retires' (did you mean 'retry'?)` */
export function formatProblem(p: Problem): string {
  const where = [p.file, p.line, p.column].filter((part) => part !== undefined).join(":");
  return `${where ? `${where} ` : ""}${p.path}: ${p.message}`;
}

const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** `["stages", 1, "steps", 0, "retry"]` → `stages[1].steps[0].retry`; `[]` → `(root)`. */
export function formatPath(path: readonly Segment[]): string {
  let text = "";
  for (const segment of path) {
    if (typeof segment === "number") text += `[${segment}]`;
    else if (PLAIN_KEY.test(segment)) text += text ? `.${segment}` : segment;
    else text += `['${segment.replaceAll("'", "''")}']`;
  }
  return text || "(root)";
}

/**
 * A workflow that cannot be run: every problem found, each with its file, line and column when
 * known. The message holds one formatted line per problem.
 */
export class WorkflowError extends RefusedError {
  readonly problems: readonly Problem[];
  constructor(problems: readonly Problem[]) {
    const lines = problems.map(formatProblem);
    super("definition_invalid", lines.join("\n"), undefined, { issues: lines });
    this.problems = problems;
  }
}

export const isWorkflowError = (e: unknown): e is WorkflowError => e instanceof WorkflowError;

/** Sorted by position (problems without one keep their order, first), duplicates dropped. */
export function sortProblems(problems: readonly Problem[]): Problem[] {
  const seen = new Set<string>();
  const unique = problems.filter((p) => {
    const line = formatProblem(p);
    if (seen.has(line)) return false;
    seen.add(line);
    return true;
  });
  return unique
    .map((p, i) => ({ p, i }))
    .sort((a, b) => (a.p.line ?? 0) - (b.p.line ?? 0) || (a.p.column ?? 0) - (b.p.column ?? 0) || a.i - b.i)
    .map(({ p }) => p);
}
