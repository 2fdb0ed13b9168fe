/**
 * GitHub's artifact service on loopback, as `@actions/artifact` 6.x meets it: the Twirp JSON API
 * at `ACTIONS_RESULTS_URL` (`/twirp/github.actions.results.api.v1.ArtifactService/<Method>`,
 * snake_case fields, int64 as strings, errors as `{ code, msg }` with the matching HTTP status)
 * and, behind the signed URLs it hands out, an Azure-blob-like store (`PUT ?comp=block`,
 * `PUT ?comp=blocklist`, a single `PUT` with `x-ms-blob-type: BlockBlob`, `GET`).
 *
 * It validates like the real service: the bearer JWT's `scp` claim must hold
 * `Actions.Results:<runBackendId>:<jobBackendId>` matching the request's backend ids; artifact
 * names are unique per workflow run across attempts and jobs (a second CreateArtifact is 409
 * `already_exists` until the first is deleted); ListArtifacts sees the whole run (every job and
 * attempt), filtered by `name_filter` / `id_filter`; signed URLs carry a per-artifact `sig`.
 *
 * Tests read what was stored (`artifacts()`, `files(name)`), inject faults (`failNext`, `corrupt`,
 * `stall`) and read the request log. The server lives in the test process and serves child
 * processes as well (point them at `runtimeEnv(...)`).
 *
 * Mind `GITHUB_SERVER_URL` in the client's environment: the client refuses to work on GitHub
 * Enterprise Server, and takes any host other than github.com, *.ghe.com or *.localhost for one
 * (`GHESNotSupportedError`). Leave it unset, or use e.g. `http://github.localhost:<port>`.
 */
import { createHash, randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { readZip } from "../../src/action/artifact-port.js";

const SERVICE = "/twirp/github.actions.results.api.v1.ArtifactService/";

export type TwirpMethod =
  "CreateArtifact" | "FinalizeArtifact" | "ListArtifacts" | "GetSignedArtifactURL" | "DeleteArtifact";

/** Where a fault can be injected: a Twirp method, or the blob store's upload / download. */
export type Endpoint = TwirpMethod | "BlobUpload" | "BlobDownload";

export interface StoredArtifact {
  id: number;
  name: string;
  runBackendId: string;
  jobBackendId: string;
  /** Set by FinalizeArtifact; `finalized` is false until then. */
  finalized: boolean;
  /** The size the client reported at FinalizeArtifact. */
  size: number;
  /** The `hash` the client sent at FinalizeArtifact, e.g. `sha256:<hex>`. */
  digest: string | undefined;
  createdAt: Date;
  expiresAt: string | undefined;
  mimeType: string | undefined;
  /** The committed blob (after `corrupt`, the damaged bytes), or undefined before upload. */
  blob: Buffer | undefined;
  /** The blob's content type, from `x-ms-blob-content-type` at commit. */
  contentType: string | undefined;
}

export interface LoggedRequest {
  method: string;
  /** The path without the query string (the signature stays out of logs). */
  path: string;
  endpoint: Endpoint | undefined;
  /** Twirp requests: the parsed JSON body; blob requests: the `comp` parameter, if any. */
  body: unknown;
  status: number;
  /** `performance.now()` when the request began to arrive and when its answer finished. */
  receivedAt: number;
  answeredAt: number;
}

export interface ArtifactService {
  /** `http://127.0.0.1:<port>/` — the value of `ACTIONS_RESULTS_URL`. */
  readonly url: string;
  /** The environment the client needs, with an unsigned JWT scoped to these backend ids. */
  runtimeEnv(ids: { runBackendId: string; jobBackendId: string }): {
    ACTIONS_RUNTIME_TOKEN: string;
    ACTIONS_RESULTS_URL: string;
  };
  /** Artifacts not deleted, in creation order; by default only finalized ones. */
  artifacts(filter?: { runBackendId?: string; includeUnfinalized?: boolean }): StoredArtifact[];
  /** The files inside the named artifact's ZIP (throws if it has none or is not a ZIP). */
  files(name: string, runBackendId?: string): Map<string, Buffer>;
  /**
   * The next `times` requests to `endpoint` answer `status` (a Twirp error or a blob error).
   * Statuses the client retries (Twirp 429/5xx: ~3 s apart; blob 500/503: 0, 4, 12 s) make a
   * slow test; a single blob 500/503 is retried at once.
   */
  failNext(endpoint: Endpoint, status: number, times?: number): void;
  /** Flips bytes in the middle of the named artifact's stored blob (of that workflow run, when given). */
  corrupt(name: string, runBackendId?: string): void;
  /**
   * The next `times` requests to `endpoint` are held without an answer until `release()`. The
   * client gives up on a stalled upload after `ACTIONS_ARTIFACT_UPLOAD_TIMEOUT_MS`; on a stalled
   * download only after 30 s, five times over (not configurable), so stall downloads sparingly.
   */
  stall(endpoint: Endpoint, times?: number): void;
  /** Answers the held requests (normally). */
  release(): void;
  /** Every request, in order. */
  readonly requests: readonly LoggedRequest[];
  close(): Promise<void>;
}

const TWIRP_CODES: Record<number, string> = {
  400: "invalid_argument",
  401: "unauthenticated",
  403: "permission_denied",
  404: "not_found",
  409: "already_exists",
  412: "failed_precondition",
  429: "resource_exhausted",
  500: "internal",
  503: "unavailable",
  504: "deadline_exceeded",
};

class TwirpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

interface Fault {
  status: number;
  times: number;
}

/** Starts the service on 127.0.0.1 at a free port. */
export async function startArtifactService(): Promise<ArtifactService> {
  const stored: StoredArtifact[] = [];
  const blocks = new Map<number, Map<string, Buffer>>();
  const signatures = new Map<number, string>();
  const faults = new Map<Endpoint, Fault>();
  const stalls = new Map<Endpoint, number>();
  const held: (() => void)[] = [];
  const requests: LoggedRequest[] = [];
  let nextId = 1;
  let base = "";

  const live = (runBackendId: string): StoredArtifact[] =>
    stored.filter((a) => a.runBackendId === runBackendId);

  function takeFault(endpoint: Endpoint): number | undefined {
    const fault = faults.get(endpoint);
    if (!fault) return undefined;
    if (--fault.times <= 0) faults.delete(endpoint);
    return fault.status;
  }

  function takeStall(endpoint: Endpoint): boolean {
    const left = stalls.get(endpoint) ?? 0;
    if (left <= 0) return false;
    if (left === 1) stalls.delete(endpoint);
    else stalls.set(endpoint, left - 1);
    return true;
  }

  function scope(req: IncomingMessage): { run: string; job: string } {
    const auth = req.headers.authorization ?? "";
    const match = /^Bearer (\S+)$/.exec(auth);
    if (!match) throw new TwirpError(401, "missing bearer token");
    let claims: { scp?: unknown };
    try {
      claims = JSON.parse(Buffer.from(match[1]!.split(".")[1] ?? "", "base64url").toString());
    } catch {
      throw new TwirpError(401, "the runtime token is not a JWT");
    }
    const results = String(claims.scp ?? "")
      .split(" ")
      .map((s) => s.split(":"))
      .find((parts) => parts[0] === "Actions.Results" && parts.length === 3);
    if (!results) throw new TwirpError(403, "the runtime token has no Actions.Results scope");
    return { run: results[1]!, job: results[2]! };
  }

  /**
   * The run id must be the token's. The job id must be the token's for the calls that act as the
   * job (create, finalize, list); GetSignedArtifactURL and DeleteArtifact name the job that
   * uploaded the artifact (the client sends the listed artifact's ids), any job of the run.
   */
  function checkIds(
    method: TwirpMethod,
    body: Record<string, unknown>,
    ids: { run: string; job: string },
  ): void {
    const asJob = method === "CreateArtifact" || method === "FinalizeArtifact" || method === "ListArtifacts";
    if (body.workflow_run_backend_id !== ids.run || (asJob && body.workflow_job_run_backend_id !== ids.job)) {
      throw new TwirpError(403, "backend ids do not match the runtime token's scope");
    }
    if (typeof body.workflow_job_run_backend_id !== "string" || body.workflow_job_run_backend_id === "") {
      throw new TwirpError(400, "workflow_job_run_backend_id is required");
    }
  }

  function requireName(body: Record<string, unknown>): string {
    const name = body.name;
    if (typeof name !== "string" || name === "") throw new TwirpError(400, "name is required");
    return name;
  }

  function signed(artifact: StoredArtifact, kind: "upload" | "download"): string {
    const sig = signatures.get(artifact.id)!;
    return `${base}blob/${kind}/${artifact.id}/${encodeURIComponent(artifact.name)}.zip?sig=${sig}&sv=2024-01-01`;
  }

  function listed(a: StoredArtifact): Record<string, unknown> {
    return {
      workflow_run_backend_id: a.runBackendId,
      workflow_job_run_backend_id: a.jobBackendId,
      database_id: String(a.id),
      name: a.name,
      size: String(a.size),
      created_at: a.createdAt.toISOString(),
      ...(a.digest ? { digest: a.digest } : {}),
    };
  }

  function twirp(method: TwirpMethod, req: IncomingMessage, body: Record<string, unknown>): unknown {
    const ids = scope(req);
    checkIds(method, body, ids);
    switch (method) {
      case "CreateArtifact": {
        const name = requireName(body);
        if (live(ids.run).some((a) => a.name === name)) {
          throw new TwirpError(409, `an artifact named "${name}" already exists in this run`);
        }
        const artifact: StoredArtifact = {
          id: nextId++,
          name,
          runBackendId: ids.run,
          jobBackendId: ids.job,
          finalized: false,
          size: 0,
          digest: undefined,
          createdAt: new Date(),
          expiresAt: typeof body.expires_at === "string" ? body.expires_at : undefined,
          mimeType: typeof body.mime_type === "string" ? body.mime_type : undefined,
          blob: undefined,
          contentType: undefined,
        };
        stored.push(artifact);
        signatures.set(artifact.id, randomBytes(12).toString("hex"));
        return { ok: true, signed_upload_url: signed(artifact, "upload") };
      }
      case "FinalizeArtifact": {
        const name = requireName(body);
        const artifact = live(ids.run).find((a) => a.name === name && a.jobBackendId === ids.job);
        if (!artifact) throw new TwirpError(404, `no artifact named "${name}" was created by this job`);
        if (artifact.finalized) throw new TwirpError(412, `artifact "${name}" is already finalized`);
        if (!artifact.blob) throw new TwirpError(412, `artifact "${name}" has no uploaded content`);
        const size = Number(body.size);
        if (!Number.isSafeInteger(size) || size !== artifact.blob.length) {
          throw new TwirpError(
            400,
            `size ${String(body.size)} does not match the uploaded ${artifact.blob.length} bytes`,
          );
        }
        artifact.finalized = true;
        artifact.size = size;
        artifact.digest = typeof body.hash === "string" ? body.hash : undefined;
        return { ok: true, artifact_id: String(artifact.id) };
      }
      case "ListArtifacts": {
        const nameFilter = typeof body.name_filter === "string" ? body.name_filter : undefined;
        const idFilter = body.id_filter === undefined ? undefined : Number(body.id_filter);
        const artifacts = live(ids.run).filter(
          (a) =>
            a.finalized &&
            (nameFilter === undefined || a.name === nameFilter) &&
            (idFilter === undefined || a.id === idFilter),
        );
        return { artifacts: artifacts.map(listed) };
      }
      case "GetSignedArtifactURL": {
        const name = requireName(body);
        const job = body.workflow_job_run_backend_id;
        const artifact = live(ids.run).find((a) => a.name === name && a.jobBackendId === job && a.finalized);
        if (!artifact) throw new TwirpError(404, `no artifact named "${name}" in this run`);
        return { signed_url: signed(artifact, "download") };
      }
      case "DeleteArtifact": {
        const name = requireName(body);
        const job = body.workflow_job_run_backend_id;
        const artifact = live(ids.run).find((a) => a.name === name && a.jobBackendId === job);
        if (!artifact) throw new TwirpError(404, `no artifact named "${name}" in this run`);
        stored.splice(stored.indexOf(artifact), 1);
        blocks.delete(artifact.id);
        return { ok: true, artifact_id: String(artifact.id) };
      }
    }
  }

  function blob(req: IncomingMessage, url: URL, body: Buffer, res: ServerResponse): void {
    const match = /^\/blob\/(upload|download)\/(\d+)\//.exec(url.pathname);
    const artifact = match ? stored.find((a) => a.id === Number(match[2])) : undefined;
    if (!match || !artifact) return blobError(res, 404, "BlobNotFound", "The specified blob does not exist.");
    if (url.searchParams.get("sig") !== signatures.get(artifact.id)) {
      return blobError(res, 403, "AuthenticationFailed", "Signature did not match.");
    }
    const headers = { "x-ms-request-id": randomBytes(8).toString("hex"), "x-ms-version": "2024-01-01" };
    if (match[1] === "download") {
      if (req.method !== "GET" || !artifact.blob) return blobError(res, 404, "BlobNotFound", "No content.");
      res.writeHead(200, {
        ...headers,
        "content-type": artifact.contentType ?? "application/zip",
        "content-length": artifact.blob.length,
        "content-disposition": `attachment; filename="${artifact.name}.zip"`,
      });
      res.end(artifact.blob);
      return;
    }
    if (req.method !== "PUT") return blobError(res, 405, "UnsupportedHttpVerb", "Use PUT.");
    if (artifact.finalized) return blobError(res, 409, "BlobImmutable", "The artifact is finalized.");
    const comp = url.searchParams.get("comp");
    const etag = `"0x${randomBytes(8).toString("hex")}"`;
    const created = {
      ...headers,
      etag,
      "last-modified": new Date().toUTCString(),
      "x-ms-request-server-encrypted": "true",
    };
    if (comp === "block") {
      const id = url.searchParams.get("blockid");
      if (!id) return blobError(res, 400, "InvalidQueryParameterValue", "blockid is required.");
      const staged = blocks.get(artifact.id) ?? new Map<string, Buffer>();
      staged.set(id, body);
      blocks.set(artifact.id, staged);
      res.writeHead(201, created).end();
    } else if (comp === "blocklist") {
      const staged = blocks.get(artifact.id) ?? new Map<string, Buffer>();
      const ids = [...body.toString("utf8").matchAll(/<(Latest|Uncommitted|Committed)>([^<]*)<\/\1>/g)].map(
        (m) => m[2]!,
      );
      const parts: Buffer[] = [];
      for (const id of ids) {
        const part = staged.get(id);
        if (!part) return blobError(res, 400, "InvalidBlockList", `Block ${id} was not staged.`);
        parts.push(part);
      }
      artifact.blob = Buffer.concat(parts);
      artifact.contentType = header(req, "x-ms-blob-content-type");
      blocks.delete(artifact.id);
      res.writeHead(201, created).end();
    } else if (comp === null) {
      if (header(req, "x-ms-blob-type") !== "BlockBlob") {
        return blobError(res, 400, "MissingRequiredHeader", "x-ms-blob-type: BlockBlob is required.");
      }
      artifact.blob = body;
      artifact.contentType = header(req, "x-ms-blob-content-type");
      res.writeHead(201, created).end();
    } else blobError(res, 400, "InvalidQueryParameterValue", `comp=${comp} is not supported.`);
  }

  const server = createServer((req, res) => {
    const receivedAt = performance.now();
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", base);
      const body = Buffer.concat(chunks);
      const method = url.pathname.startsWith(SERVICE)
        ? (url.pathname.slice(SERVICE.length) as TwirpMethod)
        : undefined;
      const endpoint: Endpoint | undefined =
        method ??
        (url.pathname.startsWith("/blob/upload/")
          ? "BlobUpload"
          : url.pathname.startsWith("/blob/download/")
            ? "BlobDownload"
            : undefined);
      let parsed: unknown = url.searchParams.get("comp") ?? undefined;
      if (method) {
        try {
          parsed = JSON.parse(body.toString("utf8") || "{}");
        } catch {
          parsed = undefined;
        }
      }
      const entry: LoggedRequest = {
        method: req.method ?? "",
        path: url.pathname,
        endpoint,
        body: parsed,
        status: 0,
        receivedAt,
        answeredAt: 0,
      };
      requests.push(entry);
      res.on("finish", () => {
        entry.status = res.statusCode;
        entry.answeredAt = performance.now();
      });
      const answer = (): void => {
        const fault = endpoint ? takeFault(endpoint) : undefined;
        if (method) {
          if (fault) return twirpError(res, fault, `injected failure of ${method}`);
          if (!isTwirpMethod(method)) return twirpError(res, 404, `no method ${method}`);
          if (typeof parsed !== "object" || parsed === null)
            return twirpError(res, 400, "the body is not JSON");
          try {
            const out = twirp(method, req, parsed as Record<string, unknown>);
            res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(out));
          } catch (error) {
            if (error instanceof TwirpError) twirpError(res, error.status, error.message);
            else twirpError(res, 500, String(error));
          }
        } else if (endpoint) {
          if (fault) return blobError(res, fault, "InjectedFailure", `injected failure of ${endpoint}`);
          blob(req, url, body, res);
        } else res.writeHead(404).end();
      };
      if (endpoint && takeStall(endpoint)) held.push(answer);
      else answer();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;

  return {
    url: base,
    runtimeEnv({ runBackendId, jobBackendId }) {
      const part = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString("base64url");
      const claims = {
        scp: `Actions.GenericRead:00000000 Actions.Results:${runBackendId}:${jobBackendId}`,
        exp: 4102444800,
      };
      return {
        ACTIONS_RUNTIME_TOKEN: `${part({ alg: "none", typ: "JWT" })}.${part(claims)}.`,
        ACTIONS_RESULTS_URL: base,
      };
    },
    artifacts(filter = {}) {
      return stored.filter(
        (a) =>
          (filter.includeUnfinalized || a.finalized) &&
          (filter.runBackendId === undefined || a.runBackendId === filter.runBackendId),
      );
    },
    files(name, runBackendId) {
      const artifact = stored.find(
        (a) => a.name === name && (runBackendId === undefined || a.runBackendId === runBackendId),
      );
      if (!artifact?.blob) throw new Error(`the service holds no content for artifact "${name}"`);
      return readZip(artifact.blob);
    },
    failNext(endpoint, status, times = 1) {
      faults.set(endpoint, { status, times });
    },
    corrupt(name, runBackendId) {
      const artifact = stored.find(
        (a) => a.name === name && (runBackendId === undefined || a.runBackendId === runBackendId),
      );
      if (!artifact?.blob) throw new Error(`the service holds no content for artifact "${name}"`);
      const blob = Buffer.from(artifact.blob);
      const middle = Math.floor(blob.length / 2);
      for (let i = middle; i < Math.min(blob.length, middle + 4); i++) blob[i]! ^= 0xff;
      artifact.blob = blob;
    },
    stall(endpoint, times = 1) {
      stalls.set(endpoint, times);
    },
    release() {
      for (const answer of held.splice(0)) answer();
    },
    requests,
    async close() {
      held.length = 0;
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve())));
    },
  };
}

function isTwirpMethod(method: string): method is TwirpMethod {
  return [
    "CreateArtifact",
    "FinalizeArtifact",
    "ListArtifacts",
    "GetSignedArtifactURL",
    "DeleteArtifact",
  ].includes(method);
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function twirpError(res: ServerResponse, status: number, msg: string): void {
  res
    .writeHead(status, { "content-type": "application/json" })
    .end(JSON.stringify({ code: TWIRP_CODES[status] ?? "unknown", msg }));
}

function blobError(res: ServerResponse, status: number, code: string, message: string): void {
  res
    .writeHead(status, { "content-type": "application/xml", "x-ms-error-code": code })
    .end(
      `<?xml version="1.0" encoding="utf-8"?><Error><Code>${code}</Code><Message>${message}</Message></Error>`,
    );
}

/** The sha256 of a buffer as the client writes digests: `sha256:<hex>`. */
export function sha256Digest(data: Buffer): string {
  return `sha256:${createHash("sha256").update(data).digest("hex")}`;
}
