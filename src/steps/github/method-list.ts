/**
 * Octokit's REST methods by name (`issues.addLabels` → `POST /repos/{owner}/{repo}/issues/{issue_number}/labels`),
 * from `@octokit/rest`'s own endpoint list, for the `github` step kind: a workflow names a method,
 * the kind checks it before any run starts and calls its route through `client.request`.
 *
 * A local stand-in until `src/github/methods.ts` (restMethod, suggestMethod) is on main; the two
 * should become one. The table is built by `loadRestMethods()` when a host makes the GitHub kinds
 * (not at import: loading `@octokit/rest` costs ~0.1 s, which no CLI start should pay).
 */
import { createRequire } from "node:module";
import type { Octokit } from "@octokit/rest";

/** A REST method's route: `POST` and `/repos/{owner}/{repo}/issues/{issue_number}/labels`. */
export interface RestRoute {
  method: string;
  url: string;
}

/** The method names of Octokit (`scope.method`) and their routes. */
export class RestMethods {
  constructor(private readonly routes: ReadonlyMap<string, RestRoute>) {}

  get size(): number {
    return this.routes.size;
  }

  /** The route of a method name such as `issues.addLabels`, or undefined. */
  get(name: string): RestRoute | undefined {
    return this.routes.get(name);
  }

  /** The known name closest to `name` (same letters ignoring case, or the fewest edits), if close. */
  suggest(name: string): string | undefined {
    const lower = name.toLowerCase();
    let best: string | undefined;
    let bestDistance = Infinity;
    for (const known of this.routes.keys()) {
      if (known.toLowerCase() === lower) return known;
      const distance = editDistance(lower, known.toLowerCase(), bestDistance);
      if (distance < bestDistance) {
        bestDistance = distance;
        best = known;
      }
    }
    return bestDistance <= Math.max(2, Math.floor(name.length / 4)) ? best : undefined;
  }
}

/** Octokit's REST methods, read from `@octokit/rest` (one table per call: the caller keeps it). */
export function loadRestMethods(): RestMethods {
  const require = createRequire(import.meta.url);
  const { Octokit: OctokitClass } = require("@octokit/rest") as { Octokit: typeof Octokit };
  const rest = new OctokitClass().rest as unknown as Record<
    string,
    Record<string, { endpoint: { DEFAULTS: { method: string; url: string } } }>
  >;
  const routes = new Map<string, RestRoute>();
  for (const [scope, methods] of Object.entries(rest)) {
    for (const name of Object.keys(methods)) {
      const defaults = methods[name]?.endpoint.DEFAULTS;
      if (defaults) routes.set(`${scope}.${name}`, { method: defaults.method, url: defaults.url });
    }
  }
  return new RestMethods(routes);
}

/** Levenshtein distance, giving up (returning `limit`) once it cannot be below `limit`. */
function editDistance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) >= limit) return limit;
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      const value = Math.min(
        (previous[j] ?? 0) + 1,
        (current[j - 1] ?? 0) + 1,
        (previous[j - 1] ?? 0) + cost,
      );
      current.push(value);
      rowMin = Math.min(rowMin, value);
    }
    if (rowMin >= limit) return limit;
    previous = current;
  }
  return previous[b.length] ?? limit;
}
