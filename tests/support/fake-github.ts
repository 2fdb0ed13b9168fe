/**
 * GitHub's REST API on loopback, for tests where the app runs in a child process (nock cannot reach
 * into another process): the app is pointed at it as at a GitHub Enterprise Server
 * (`GHE_HOST=127.0.0.1:PORT`, `GHE_PROTOCOL=http`). It keeps just enough state — a repository's
 * default-branch files, comments, check runs, reactions, permissions, dispatched workflow runs,
 * the app's hook deliveries — and holds every request against `@octokit/openapi` (`problems`).
 * Faults are injected per route: an error status, optionally after the write was applied (a 502
 * that had in fact succeeded), or a secondary rate limit. A comment body over GitHub's 65,536
 * characters is refused with GitHub's 422, as GitHub does.
 */
import { createHash, randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { checkRequest, operationOf } from "./openapi.js";

export interface FakeComment {
  id: number;
  issue: number;
  body: string;
  user: { login: string; type: "User" | "Bot" };
  performed_via_github_app: { slug: string } | null;
}

export interface FakeCheckRun {
  id: number;
  head_sha: string;
  name: string;
  external_id: string;
  status: string;
  conclusion: string | null;
  output: { title?: string; summary?: string; text?: string };
  annotations: unknown[];
  actions: unknown[];
}

export interface FakeRequest {
  method: string;
  path: string;
  operation: string | undefined;
  body: unknown;
  status: number;
}

export interface Fault {
  /** e.g. "checks/create", "issues/create-comment" (the openapi operationId). */
  operation: string;
  status: number;
  /** Apply the write, then answer with the error (the 502 that had succeeded). */
  applied?: boolean;
  headers?: Record<string, string>;
  /** How many requests it hits (default 1). */
  times?: number;
}

export interface FakeGitHubOptions {
  owner?: string;
  repo?: string;
  defaultBranch?: string;
  /** Files of the default branch, by path. */
  files?: Record<string, string>;
  /** Repository permission of each user (`read`, `write`, `admin`, ...); others have none (404). */
  permissions?: Record<string, string>;
  appSlug?: string;
  /** Head SHA of each pull request number. */
  pulls?: Record<number, { sha: string; fork?: boolean }>;
  /**
   * Called when the app asks for a redelivery (`POST /app/hook/deliveries/{id}/attempts`), with
   * the listed delivery (undefined for an unknown id), after it is recorded in `redeliveries`:
   * a test sends that delivery again to the app, as GitHub would.
   */
  onRedeliver?: (delivery: FakeHookDelivery | undefined) => void;
}

/** One delivery of the app's webhook, as `GET /app/hook/deliveries` lists it. */
export interface FakeHookDelivery {
  id: number;
  guid: string;
  status_code: number;
  delivered_at: string;
  event: string;
  action: string | null;
  redelivery: boolean;
}

/** GitHub's answer to a comment body over its 65,536 characters. */
const TOO_LONG: [number, unknown] = [
  422,
  {
    message: "Validation Failed",
    errors: [
      {
        resource: "IssueComment",
        code: "custom",
        field: "body",
        message: "body is too long (maximum is 65536 characters)",
      },
    ],
  },
];
const tooLong = (body: unknown) => String(body).length > 65_536;

const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", ...headers });
  res.end(body === undefined ? "" : JSON.stringify(body));
};

const blobSha = (text: string) =>
  createHash("sha1")
    .update(`blob ${Buffer.byteLength(text)}\0${text}`)
    .digest("hex");

/** Starts the fake on 127.0.0.1 (a free port). */
export async function startFakeGitHub(options: FakeGitHubOptions = {}) {
  const owner = options.owner ?? "Codertocat";
  const repoName = options.repo ?? "Hello-World";
  const defaultBranch = options.defaultBranch ?? "main";
  const appSlug = options.appSlug ?? "stageflow";
  const files = new Map(Object.entries(options.files ?? {}));
  const permissions = new Map(Object.entries(options.permissions ?? {}));
  const pulls = new Map(Object.entries(options.pulls ?? {}).map(([n, p]) => [Number(n), p]));
  const comments = new Map<number, FakeComment>();
  const checkRuns = new Map<number, FakeCheckRun>();
  const reactions: Array<{ commentId: number; content: string }> = [];
  const dispatches: Array<{ workflow: string; ref: string; inputs: unknown; runId: number }> = [];
  const workflowRuns = new Map<number, { status: string; conclusion: string | null; html_url: string }>();
  const hookDeliveries: FakeHookDelivery[] = [];
  const redeliveries: number[] = [];
  const requests: FakeRequest[] = [];
  const problems: string[] = [];
  const faults: Fault[] = [];
  let nextId = 1000;

  const bot = { login: `${appSlug}[bot]`, type: "Bot" as const };

  function fault(operation: string | undefined): Fault | undefined {
    const i = faults.findIndex((f) => f.operation === operation);
    if (i < 0) return undefined;
    const f = faults[i]!;
    f.times = (f.times ?? 1) - 1;
    if (f.times <= 0) faults.splice(i, 1);
    return f;
  }

  function dirListing(path: string) {
    const prefix = `${path}/`;
    const entries = [...files.keys()].filter(
      (p) => p.startsWith(prefix) && !p.slice(prefix.length).includes("/"),
    );
    const dirs = new Set(
      [...files.keys()]
        .filter((p) => p.startsWith(prefix) && p.slice(prefix.length).includes("/"))
        .map((p) => p.slice(prefix.length).split("/")[0]!),
    );
    if (entries.length === 0 && dirs.size === 0) return undefined;
    return [
      ...entries.map((p) => ({
        type: "file",
        name: p.slice(prefix.length),
        path: p,
        sha: blobSha(files.get(p)!),
        size: files.get(p)!.length,
      })),
      ...[...dirs].map((d) => ({ type: "dir", name: d, path: `${prefix}${d}`, sha: blobSha(d), size: 0 })),
    ];
  }

  function route(
    method: string,
    path: string,
    query: URLSearchParams,
    body: Record<string, unknown>,
  ): [number, unknown, Record<string, string>?] {
    const repoBase = `/repos/${owner}/${repoName}`;
    let m: RegExpMatchArray | null;
    if (method === "POST" && (m = path.match(/^\/app\/installations\/(\d+)\/access_tokens$/)))
      return [
        201,
        {
          token: `ghs_${randomBytes(12).toString("hex")}`,
          expires_at: new Date(Date.now() + 3600_000).toISOString(),
          permissions: {},
        },
      ];
    if (method === "GET" && path === "/app") return [200, { id: 1, slug: appSlug, name: appSlug }];
    if (method === "GET" && path === "/app/hook/deliveries") return [200, [...hookDeliveries].reverse()];
    if (method === "POST" && (m = path.match(/^\/app\/hook\/deliveries\/(\d+)\/attempts$/))) {
      const id = Number(m[1]);
      redeliveries.push(id);
      options.onRedeliver?.(hookDeliveries.find((d) => d.id === id));
      return [202, {}];
    }
    if ((m = path.match(/^\/orgs\/[^/]+\/teams\/[^/]+\/memberships\/[^/]+$/)))
      return [404, { message: "Not Found" }];
    if (!path.startsWith(repoBase)) return [404, { message: "Not Found" }];
    const rest = path.slice(repoBase.length);
    if (method === "GET" && rest === "")
      return [
        200,
        {
          id: 1,
          name: repoName,
          full_name: `${owner}/${repoName}`,
          default_branch: defaultBranch,
          owner: { login: owner },
        },
      ];
    if (method === "GET" && (m = rest.match(/^\/contents\/(.+)$/))) {
      const p = decodeURIComponent(m[1]!);
      const ref = query.get("ref");
      if (ref && ref !== defaultBranch) return [404, { message: "No commit found for the ref" }];
      if (files.has(p)) {
        const text = files.get(p)!;
        return [
          200,
          {
            type: "file",
            name: p.split("/").pop(),
            path: p,
            sha: blobSha(text),
            size: text.length,
            encoding: "base64",
            content: Buffer.from(text).toString("base64"),
          },
        ];
      }
      const listing = dirListing(p);
      return listing ? [200, listing] : [404, { message: "Not Found" }];
    }
    if (method === "GET" && (m = rest.match(/^\/git\/blobs\/([0-9a-f]+)$/))) {
      for (const text of files.values()) {
        if (blobSha(text) === m[1])
          return [
            200,
            {
              sha: m[1],
              size: text.length,
              encoding: "base64",
              content: Buffer.from(text).toString("base64"),
            },
          ];
      }
      return [404, { message: "Not Found" }];
    }
    if (method === "GET" && (m = rest.match(/^\/collaborators\/([^/]+)\/permission$/))) {
      const permission = permissions.get(decodeURIComponent(m[1]!));
      if (!permission) return [404, { message: "Not Found" }];
      const legacy = permission === "maintain" ? "write" : permission === "triage" ? "read" : permission;
      return [200, { permission: legacy, role_name: permission, user: { login: m[1] } }];
    }
    if (method === "GET" && (m = rest.match(/^\/pulls\/(\d+)$/))) {
      const pull = pulls.get(Number(m[1]));
      if (!pull) return [404, { message: "Not Found" }];
      const head = pull.fork ? "someone/Hello-World" : `${owner}/${repoName}`;
      return [
        200,
        {
          number: Number(m[1]),
          state: "open",
          head: { sha: pull.sha, ref: "topic", repo: { full_name: head, fork: !!pull.fork } },
          base: { ref: defaultBranch, repo: { full_name: `${owner}/${repoName}` } },
        },
      ];
    }
    if ((m = rest.match(/^\/issues\/(\d+)\/comments$/))) {
      const issue = Number(m[1]);
      if (method === "GET") {
        const all = [...comments.values()].filter((c) => c.issue === issue);
        const perPage = Number(query.get("per_page") ?? 30);
        const page = Number(query.get("page") ?? 1);
        return [200, all.slice((page - 1) * perPage, page * perPage)];
      }
      if (method === "POST") {
        if (tooLong(body.body)) return TOO_LONG;
        const c: FakeComment = {
          id: nextId++,
          issue,
          body: String(body.body),
          user: bot,
          performed_via_github_app: { slug: appSlug },
        };
        comments.set(c.id, c);
        return [201, c];
      }
    }
    if ((m = rest.match(/^\/issues\/comments\/(\d+)$/))) {
      const c = comments.get(Number(m[1]));
      if (!c) return [404, { message: "Not Found" }];
      if (method === "PATCH" && tooLong(body.body)) return TOO_LONG;
      if (method === "PATCH") c.body = String(body.body);
      return [200, c];
    }
    if (method === "POST" && (m = rest.match(/^\/issues\/comments\/(\d+)\/reactions$/))) {
      reactions.push({ commentId: Number(m[1]), content: String(body.content) });
      return [201, { id: nextId++, content: body.content }];
    }
    if (method === "POST" && (m = rest.match(/^\/issues\/(\d+)\/labels$/)))
      return [200, (body.labels as string[]).map((name) => ({ name }))];
    if (method === "POST" && rest === "/check-runs") {
      const run: FakeCheckRun = {
        id: nextId++,
        head_sha: String(body.head_sha),
        name: String(body.name),
        external_id: String(body.external_id ?? ""),
        status: String(body.status ?? "queued"),
        conclusion: (body.conclusion as string) ?? null,
        output: (body.output as FakeCheckRun["output"]) ?? {},
        annotations: [...((body.output as { annotations?: unknown[] })?.annotations ?? [])],
        actions: (body.actions as unknown[]) ?? [],
      };
      checkRuns.set(run.id, run);
      return [201, run];
    }
    if (method === "GET" && (m = rest.match(/^\/check-runs\/(\d+)\/annotations$/))) {
      const run = checkRuns.get(Number(m[1]));
      if (!run) return [404, { message: "Not Found" }];
      const per = Number(query.get("per_page") ?? 30);
      const page = Number(query.get("page") ?? 1);
      return [200, run.annotations.slice((page - 1) * per, page * per)];
    }
    if ((m = rest.match(/^\/check-runs\/(\d+)$/))) {
      const run = checkRuns.get(Number(m[1]));
      if (!run) return [404, { message: "Not Found" }];
      if (method === "PATCH") {
        if (body.status !== undefined) run.status = String(body.status);
        if (body.conclusion !== undefined) run.conclusion = body.conclusion as string;
        if (body.conclusion !== undefined) run.status = "completed";
        if (body.output) {
          const { annotations, ...output } = body.output as { annotations?: unknown[] };
          run.output = { ...run.output, ...output };
          run.annotations.push(...(annotations ?? []));
        }
        if (body.actions) run.actions = body.actions as unknown[];
      }
      return [200, run];
    }
    if (method === "GET" && (m = rest.match(/^\/commits\/([^/]+)\/check-runs$/))) {
      const name = query.get("check_name");
      const list = [...checkRuns.values()].filter((r) => r.head_sha === m![1] && (!name || r.name === name));
      return [200, { total_count: list.length, check_runs: list }];
    }
    if (method === "POST" && (m = rest.match(/^\/actions\/workflows\/([^/]+)\/dispatches$/))) {
      const runId = nextId++;
      const html_url = `https://github.com/${owner}/${repoName}/actions/runs/${runId}`;
      dispatches.push({
        workflow: decodeURIComponent(m[1]!),
        ref: String(body.ref),
        inputs: body.inputs,
        runId,
      });
      workflowRuns.set(runId, { status: "in_progress", conclusion: null, html_url });
      return body.return_run_details
        ? [200, { workflow_run_id: runId, run_url: `${repoBase}/actions/runs/${runId}`, html_url }]
        : [204, undefined];
    }
    if (method === "GET" && (m = rest.match(/^\/actions\/runs\/(\d+)$/))) {
      const run = workflowRuns.get(Number(m[1]));
      return run ? [200, { id: Number(m[1]), ...run }] : [404, { message: "Not Found" }];
    }
    return [404, { message: "Not Found", documentation_url: "https://docs.github.com/rest" }];
  }

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString("utf8");
    let body: Record<string, unknown> = {};
    try {
      body = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
    } catch {
      body = {};
    }
    const url = new URL(req.url ?? "/", "http://localhost");
    const path = url.pathname.replace(/^\/api\/v3(?=\/)/, "");
    const method = req.method ?? "GET";
    const request = { method, path: `${path}${url.search}`, body: raw || undefined };
    problems.push(...checkRequest(request));
    const operation = operationOf(request);
    const f = fault(operation);
    let status: number;
    if (f && !f.applied) {
      status = f.status;
      json(
        res,
        f.status,
        { message: f.status === 403 ? "You have exceeded a secondary rate limit" : "Bad Gateway" },
        f.headers,
      );
    } else {
      const [s, out, headers] = route(method, path, url.searchParams, body);
      status = f ? f.status : s;
      if (f) json(res, f.status, { message: "Bad Gateway" }, f.headers);
      else json(res, s, out, headers);
    }
    requests.push({ method, path: request.path, operation, body: raw ? body : undefined, status });
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => json(res, 500, { message: String(error) }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;

  return {
    port,
    /** For GHE_HOST (with GHE_PROTOCOL=http). */
    host: `127.0.0.1:${port}`,
    /** The base URL an Octokit takes. */
    baseUrl: `http://127.0.0.1:${port}/api/v3`,
    owner,
    repo: repoName,
    files,
    permissions,
    pulls,
    comments,
    checkRuns,
    reactions,
    dispatches,
    workflowRuns,
    hookDeliveries,
    redeliveries,
    requests,
    problems,
    /** Injects a fault for the next request(s) of an operation. */
    fail(f: Fault) {
      faults.push({ times: 1, ...f });
    },
    /** Requests that wrote to GitHub (not GET, not installation tokens). */
    writes() {
      return requests.filter(
        (r) => r.method !== "GET" && r.operation !== "apps/create-installation-access-token",
      );
    },
    /** Completes a dispatched workflow run. */
    completeWorkflowRun(runId: number, conclusion = "success") {
      const run = workflowRuns.get(runId);
      if (run) Object.assign(run, { status: "completed", conclusion });
      return run;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export type FakeGitHub = Awaited<ReturnType<typeof startFakeGitHub>>;
