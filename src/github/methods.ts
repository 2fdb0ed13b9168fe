/**
 * The REST methods a `github` step may call, by their Octokit names (`issues.addLabels`,
 * `pulls.requestReviewers`, ...): read from `@octokit/rest`'s endpoint methods, without any
 * network, so a workflow naming a method that does not exist is refused before its run starts.
 */
import { Octokit } from "@octokit/rest";

/** A REST method's HTTP method and route template. */
export interface RestMethod {
  method: string;
  url: string;
}

/** The catalog of REST methods; build one per host (it holds an Octokit built on first use). */
export interface RestMethodCatalog {
  /** The method and route of an Octokit name such as `issues.addLabels`, or undefined. */
  lookup(name: string): RestMethod | undefined;
  /** Every name, `scope.method`, sorted. */
  names(): string[];
  /** The closest names to a misspelt one (at most `max`), best first. */
  suggest(name: string, max?: number): string[];
}

type Scopes = Record<string, Record<string, { endpoint: { DEFAULTS: { method: string; url: string } } }>>;

/** Builds a catalog; the Octokit and the name list are made on first use and kept by the catalog. */
export function createRestMethodCatalog(): RestMethodCatalog {
  let scopes: Scopes | undefined;
  let allNames: string[] | undefined;
  const rest = (): Scopes => (scopes ??= new Octokit().rest as unknown as Scopes);
  const names = (): string[] =>
    (allNames ??= Object.keys(rest())
      .flatMap((scope) => Object.keys(rest()[scope] ?? {}).map((method) => `${scope}.${method}`))
      .sort());
  return {
    lookup(name) {
      const match = /^([A-Za-z0-9]+)\.([A-Za-z0-9]+)$/.exec(name);
      if (!match) return undefined;
      const [, scopeName = "", methodName = ""] = match;
      if (!Object.hasOwn(rest(), scopeName)) return undefined;
      const scope = rest()[scopeName] ?? {};
      // The scopes are proxies: `in` asks the endpoint map, not Object.prototype.
      if (!(methodName in scope)) return undefined;
      const defaults = scope[methodName]?.endpoint.DEFAULTS;
      return defaults ? { method: defaults.method, url: defaults.url } : undefined;
    },
    names,
    suggest(name, max = 3) {
      const wanted = name.toLowerCase();
      const wantedMethod = wanted.split(".").pop() ?? wanted;
      return names()
        .map((candidate) => {
          const lower = candidate.toLowerCase();
          const method = lower.split(".").pop() ?? lower;
          const full = editDistance(wanted, lower);
          return { candidate, full, distance: Math.min(full, editDistance(wantedMethod, method) + 1) };
        })
        .filter(({ distance }) => distance <= Math.max(2, Math.floor(wanted.length / 3)))
        .sort((a, b) => a.distance - b.distance || a.full - b.full || a.candidate.localeCompare(b.candidate))
        .slice(0, max)
        .map(({ candidate }) => candidate);
    },
  };
}

/** The method and route of an Octokit name (a fresh catalog; hosts keep one instead). */
export function restMethod(name: string): RestMethod | undefined {
  return createRestMethodCatalog().lookup(name);
}

/** Every REST method name, `scope.method`, sorted. */
export function restMethodNames(): string[] {
  return createRestMethodCatalog().names();
}

/** The closest REST method names to `name`, for an error message. */
export function suggestMethod(name: string, max = 3): string[] {
  return createRestMethodCatalog().suggest(name, max);
}

function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 12) return Math.abs(a.length - b.length);
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost);
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
