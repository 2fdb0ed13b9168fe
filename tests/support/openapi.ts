/**
 * Holds a request against GitHub's REST API description (`@octokit/openapi`): the operation exists
 * (method and path), its required path, query and body parameters are present, and the body names
 * no field the operation does not know. Tests call it on every request that reaches nock (see
 * `githubNock`) or the loopback GitHub (tests/support/fake-github.ts).
 */
import { createRequire } from "node:module";
import nock from "nock";

interface Parameter {
  name: string;
  in: "path" | "query" | "header" | "cookie";
  required?: boolean;
}

interface Schema {
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  oneOf?: Schema[];
  anyOf?: Schema[];
  allOf?: Schema[];
  nullable?: boolean;
  $ref?: string;
}

interface Operation {
  operationId: string;
  parameters?: Array<Parameter | { $ref: string }>;
  requestBody?: { required?: boolean; content: Record<string, { schema: Schema }> } | { $ref: string };
}

interface Description {
  paths: Record<string, Record<string, Operation>>;
  components: {
    parameters: Record<string, Parameter>;
    schemas: Record<string, Schema>;
    requestBodies?: Record<string, unknown>;
  };
}

/** A request as a test saw it. `path` may carry a query string and a GHES `/api/v3` prefix. */
export interface ApiRequest {
  method: string;
  path: string;
  body?: unknown;
}

interface Route {
  method: string;
  template: string;
  segments: string[];
  literals: number;
  operation: Operation;
}

let loaded: { description: Description; routes: Route[] } | undefined;

function load() {
  if (loaded) return loaded;
  const require = createRequire(import.meta.url);
  const description = require("@octokit/openapi/generated/api.github.com.json") as Description;
  const routes: Route[] = [];
  for (const [template, item] of Object.entries(description.paths)) {
    for (const [method, operation] of Object.entries(item)) {
      if (!["get", "post", "put", "patch", "delete", "head"].includes(method)) continue;
      const segments = template.split("/").slice(1);
      routes.push({
        method: method.toUpperCase(),
        template,
        segments,
        literals: segments.filter((s) => !s.startsWith("{")).length,
        operation,
      });
    }
  }
  loaded = { description, routes };
  return loaded;
}

function deref<T>(description: Description, value: T | { $ref: string }): T {
  let current: unknown = value;
  for (let i = 0; i < 20 && current && typeof current === "object" && "$ref" in current; i++) {
    const ref = (current as { $ref: string }).$ref;
    const parts = ref.replace(/^#\//, "").split("/");
    current = parts.reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], description);
  }
  return current as T;
}

function matchRoute(
  method: string,
  segments: string[],
): { route: Route; params: Record<string, string> } | undefined {
  let best: { route: Route; params: Record<string, string> } | undefined;
  for (const route of load().routes) {
    if (route.method !== method) continue;
    const params = matchSegments(route.segments, segments);
    if (!params) continue;
    if (!best || route.literals > best.route.literals) best = { route, params };
  }
  return best;
}

/** `{path}` (a file path, as the contents API takes it) may span several segments; others one. */
function matchSegments(template: string[], actual: string[]): Record<string, string> | undefined {
  const params: Record<string, string> = {};
  let a = 0;
  for (let t = 0; t < template.length; t++) {
    const seg = template[t]!;
    if (seg.startsWith("{") && seg.endsWith("}")) {
      const name = seg.slice(1, -1);
      const rest = template.length - t - 1;
      const take = name === "path" ? actual.length - a - rest : 1;
      if (take < 1 || a + take > actual.length) return undefined;
      const value = actual.slice(a, a + take).join("/");
      if (value === "") return undefined;
      params[name] = value;
      a += take;
    } else {
      if (actual[a] !== seg) return undefined;
      a++;
    }
  }
  return a === actual.length ? params : undefined;
}

function typeProblems(schema: Schema, value: unknown, at: string): string[] {
  const types = schema.type === undefined ? [] : Array.isArray(schema.type) ? schema.type : [schema.type];
  if (types.length === 0) return [];
  if (value === null) return types.includes("null") || schema.nullable ? [] : [`${at}: null is not allowed`];
  const actual = Array.isArray(value) ? "array" : Number.isInteger(value) ? "integer" : typeof value;
  const ok = types.some((t) => t === actual || (t === "number" && actual === "integer"));
  return ok ? [] : [`${at}: expected ${types.join("|")}, got ${actual}`];
}

/** Properties and required names of a body schema, across oneOf/anyOf/allOf variants. */
function objectShape(description: Description, schema: Schema) {
  const variants: Schema[] = [];
  const walk = (s: Schema) => {
    const d = deref<Schema>(description, s);
    if (d.allOf) d.allOf.forEach(walk);
    if (d.oneOf || d.anyOf) variants.push(...(d.oneOf ?? d.anyOf)!.map((v) => deref<Schema>(description, v)));
    if (d.properties || d.required) variants.push(d);
  };
  walk(schema);
  const root = deref<Schema>(description, schema);
  const properties: Record<string, Schema> = {};
  for (const v of variants) Object.assign(properties, v.properties ?? {});
  const open =
    variants.length === 0 ||
    variants.some((v) => v.additionalProperties !== undefined && v.additionalProperties !== false);
  return { root, properties, requiredSets: variants.map((v) => v.required ?? []), open };
}

/** Problems with the request (empty when it is a valid call of an operation GitHub has). */
export function checkRequest(request: ApiRequest): string[] {
  const { description } = load();
  const method = request.method.toUpperCase();
  const url = new URL(request.path, "https://api.github.com");
  let pathname = url.pathname.replace(/^\/api\/v3(?=\/)/, "");
  if (pathname.length > 1) pathname = pathname.replace(/\/$/, "");
  const segments = pathname.split("/").slice(1).map(decodeURIComponent);
  const found = matchRoute(method, segments);
  const name = `${method} ${pathname}`;
  if (!found) return [`${name}: no such operation in GitHub's REST API`];
  const { route } = found;
  const problems: string[] = [];
  const parameters = (route.operation.parameters ?? []).map((p) => deref<Parameter>(description, p));
  const query = new Set(url.searchParams.keys());
  const known = new Set(parameters.filter((p) => p.in === "query").map((p) => p.name));
  for (const p of parameters) {
    if (p.in === "query" && p.required && !query.has(p.name))
      problems.push(`${name} (${route.operation.operationId}): missing query parameter '${p.name}'`);
  }
  for (const q of query) {
    if (!known.has(q))
      problems.push(`${name} (${route.operation.operationId}): unknown query parameter '${q}'`);
  }
  const requestBody = route.operation.requestBody
    ? deref<{ required?: boolean; content: Record<string, { schema: Schema }> }>(
        description,
        route.operation.requestBody,
      )
    : undefined;
  let body = request.body;
  if (typeof body === "string") {
    try {
      body = body === "" ? undefined : JSON.parse(body);
    } catch {
      // not JSON: checked below only for presence
    }
  }
  const hasBody =
    body !== undefined &&
    !(typeof body === "object" && body !== null && Object.keys(body).length === 0 && !requestBody);
  if (!requestBody) {
    if (hasBody && ["POST", "PATCH", "PUT"].includes(method) && Object.keys(body as object).length > 0)
      problems.push(
        `${name} (${route.operation.operationId}): takes no body, got ${JSON.stringify(body).slice(0, 80)}`,
      );
    return problems;
  }
  if (body === undefined) {
    if (requestBody.required) problems.push(`${name} (${route.operation.operationId}): body required`);
    return problems;
  }
  const json = requestBody.content["application/json"];
  if (!json || typeof body !== "object" || body === null || Array.isArray(body)) return problems;
  const shape = objectShape(description, json.schema);
  const fields = Object.keys(body);
  if (
    shape.requiredSets.length > 0 &&
    !shape.requiredSets.some((set) => set.every((r) => fields.includes(r)))
  ) {
    const missing = shape.requiredSets[0]!.filter((r) => !fields.includes(r));
    problems.push(`${name} (${route.operation.operationId}): missing body field(s) ${missing.join(", ")}`);
  }
  if (!shape.open) {
    for (const f of fields) {
      if (!(f in shape.properties))
        problems.push(`${name} (${route.operation.operationId}): unknown body field '${f}'`);
    }
  }
  for (const f of fields) {
    const schema = shape.properties[f];
    if (schema)
      problems.push(
        ...typeProblems(
          deref<Schema>(description, schema),
          (body as Record<string, unknown>)[f],
          `${name}: body.${f}`,
        ),
      );
  }
  return problems;
}

/** The operation a request calls, e.g. `issues/create-comment`, or undefined. */
export function operationOf(request: ApiRequest): string | undefined {
  const url = new URL(request.path, "https://api.github.com");
  const segments = url.pathname
    .replace(/^\/api\/v3(?=\/)/, "")
    .split("/")
    .slice(1)
    .map(decodeURIComponent);
  return matchRoute(request.method.toUpperCase(), segments)?.route.operation.operationId;
}

/**
 * nock for api.github.com with every request checked: `api.scope()` is `nock(base)` whose requests
 * are held against the description; `api.requests` lists what was called; `api.assertValid()`
 * throws with every problem found (call it in afterEach or at the end of a test).
 */
export function githubNock(base = "https://api.github.com") {
  const problems: string[] = [];
  const requests: Array<ApiRequest & { operation: string | undefined }> = [];
  return {
    problems,
    requests,
    scope(options?: nock.Options): nock.Scope {
      const scope = nock(base, options);
      scope.on("request", (req: { method: string; path: string }, _interceptor: unknown, body: string) => {
        const request = { method: req.method, path: req.path, body: body === "" ? undefined : body };
        problems.push(...checkRequest(request));
        requests.push({ ...request, operation: operationOf(request) });
      });
      return scope;
    },
    /** Requests whose method is not GET (what reached GitHub as a write). */
    writes() {
      return requests.filter(
        (r) => r.method !== "GET" && !/\/access_tokens$/.test(new URL(r.path, base).pathname),
      );
    },
    assertValid() {
      if (problems.length > 0)
        throw new Error(`requests GitHub's API does not have:\n  ${problems.join("\n  ")}`);
    },
  };
}
