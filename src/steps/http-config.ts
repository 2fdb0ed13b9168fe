/**
 * The `http` kind's configuration: `{ url, method, headers, body, timeout }`, or just a URL string.
 * Keys given in the step's `with:` map override it (headers are merged), so a recovery
 * alternative such as `with: { url: https://mirror-b.example.com/build }` redirects the request.
 */
import { parseDuration } from "../engine/definition/durations.js";
import { isRecord } from "../engine/expressions/index.js";

export const HTTP_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] as const;
const OVERRIDABLE = ["url", "method", "headers", "body", "timeout"] as const;

export interface HttpConfig {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: unknown;
  timeoutMs?: number;
}

/** The config with `with:` overrides applied, not yet checked. */
export function mergeHttpConfig(config: unknown, withMap: Record<string, unknown>): Record<string, unknown> {
  const base: Record<string, unknown> =
    typeof config === "string" ? { url: config } : isRecord(config) ? { ...config } : {};
  for (const key of OVERRIDABLE) {
    if (withMap[key] === undefined) continue;
    base[key] =
      key === "headers" && isRecord(base.headers) && isRecord(withMap.headers)
        ? { ...base.headers, ...withMap.headers }
        : withMap[key];
  }
  return base;
}

const hasExpression = (v: unknown) => typeof v === "string" && v.includes("${{");

/**
 * Problems as `[path, message]`. With `allowExpressions` (validation before a run), values still
 * holding `${{ }}` are not checked.
 */
export function httpConfigProblems(
  raw: Record<string, unknown>,
  allowExpressions: boolean,
): Array<[string, string]> {
  const skip = (v: unknown) => allowExpressions && hasExpression(v);
  const problems: Array<[string, string]> = [];
  const { url, method = "GET", headers, body, timeout } = raw;
  if (!skip(url)) {
    const parsed = typeof url === "string" && URL.canParse(url) ? new URL(url) : undefined;
    if (!parsed || !["http:", "https:"].includes(parsed.protocol)) {
      problems.push(["url", "must be an absolute http(s) URL"]);
    } else if (parsed.username || parsed.password) {
      problems.push(["url", "must not contain credentials (user:password@); use an Authorization header"]);
    }
  }
  const verb = typeof method === "string" ? method.toUpperCase() : "";
  if (!skip(method) && !(HTTP_METHODS as readonly string[]).includes(verb)) {
    problems.push(["method", `must be one of ${HTTP_METHODS.join(", ")}`]);
  }
  if (headers !== undefined && !isRecord(headers))
    problems.push(["headers", "must be a map of names to values"]);
  for (const [name, value] of Object.entries(isRecord(headers) ? headers : {})) {
    if (!["string", "number", "boolean"].includes(typeof value)) {
      problems.push([`headers.${name}`, "must be a string, number or boolean"]);
    }
  }
  if (body !== undefined && body !== null && (verb === "GET" || verb === "HEAD")) {
    problems.push(["body", `a ${verb} request cannot have a body`]);
  }
  if (timeout !== undefined && !skip(timeout) && parseDuration(timeout) === undefined) {
    problems.push(["timeout", "must be a duration such as '10s' or a number of ms"]);
  }
  return problems;
}

/** Checks and normalises a resolved config; throws a TypeError listing every problem. */
export function resolveHttpConfig(config: unknown, withMap: Record<string, unknown>): HttpConfig {
  const raw = mergeHttpConfig(config, withMap);
  const problems = httpConfigProblems(raw, false);
  if (problems.length > 0) {
    throw new TypeError(`http: invalid config: ${problems.map(([p, m]) => `${p} ${m}`).join("; ")}`);
  }
  const headers = Object.fromEntries(
    Object.entries(isRecord(raw.headers) ? raw.headers : {}).map(([k, v]) => [k, String(v)]),
  );
  return {
    url: raw.url as string,
    method: typeof raw.method === "string" ? raw.method.toUpperCase() : "GET",
    headers,
    body: raw.body,
    timeoutMs: raw.timeout === undefined ? undefined : parseDuration(raw.timeout),
  };
}
