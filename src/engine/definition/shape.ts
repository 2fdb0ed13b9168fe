import { describeValue, isRecord } from "./describe.js";
import { LIMITS } from "./limits.js";
import type { RawProblem, Segment } from "./problems.js";

/**
 * Limits on the shape of a workflow's data, checked before anything else reads it: nesting
 * depth, the number of values (shared values — YAML aliases — counted at each use), values that
 * contain themselves (an alias inside its own anchor) and numbers that are not finite (`.inf`,
 * `.nan`). A problem here stops the other checks, which assume a finite tree.
 */
export function shapeProblems(data: unknown): RawProblem[] {
  const walk = new Walk();
  walk.visit(data, [], 1);
  return walk.problems;
}

class Walk {
  readonly problems: RawProblem[] = [];
  private values = 0;
  private readonly ancestors = new Set<object>();

  visit(value: unknown, path: Segment[], depth: number): void {
    if (this.values > LIMITS.values) return;
    if (++this.values > LIMITS.values) {
      const message = `more than ${LIMITS.values} values (scalars, lists and mappings; an alias counts its values again at each use)`;
      this.problems.push({ path: [], message });
      return;
    }
    if (typeof value === "number" && !Number.isFinite(value)) {
      this.problems.push({ path, message: `expected a finite number, got ${describeValue(value)}` });
      return;
    }
    if (!Array.isArray(value) && !isRecord(value)) return;
    if (this.ancestors.has(value)) {
      const message = "this value contains itself (an alias inside its own anchor); write it out instead";
      this.problems.push({ path, message });
      return;
    }
    if (depth > LIMITS.depth) {
      this.problems.push({ path, message: `nests deeper than ${LIMITS.depth} levels of lists and mappings` });
      return;
    }
    this.ancestors.add(value);
    if (Array.isArray(value)) value.forEach((item, i) => this.visit(item, [...path, i], depth + 1));
    else for (const [key, item] of Object.entries(value)) this.visit(item, [...path, key], depth + 1);
    this.ancestors.delete(value);
  }
}
