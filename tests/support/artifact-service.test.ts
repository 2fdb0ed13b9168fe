/**
 * The loopback artifact service: its Twirp and blob protocol checked by raw requests, and the real
 * `@actions/artifact` client run against it in this process (Node 20) and in a child process
 * under Node 24, the Action's runtime.
 */
import { spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { DefaultArtifactClient } from "@actions/artifact";
import { node24 } from "./node24.js";
import { sha256Digest, startArtifactService, type ArtifactService } from "./artifact-service.js";

const SERVICE = "twirp/github.actions.results.api.v1.ArtifactService/";
let service: ArtifactService;
let dir: string;
const savedEnv = { ...process.env };

beforeAll(async () => {
  service = await startArtifactService();
});
afterAll(async () => {
  await service.close();
});
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "stageflow-artifact-service-test-"));
});
afterEach(async () => {
  process.env = { ...savedEnv };
  await rm(dir, { recursive: true, force: true });
});

async function twirp(method: string, body: unknown, token?: string) {
  const response = await fetch(`${service.url}${SERVICE}${method}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const ids = (run: string, job: string) => ({
  workflow_run_backend_id: run,
  workflow_job_run_backend_id: job,
});

describe("protocol", () => {
  it("answers Twirp errors as { code, msg } with the matching status", async () => {
    const token = service.runtimeEnv({ runBackendId: "r1", jobBackendId: "j1" }).ACTIONS_RUNTIME_TOKEN;
    expect(await twirp("ListArtifacts", ids("r1", "j1"))).toEqual({
      status: 401,
      body: { code: "unauthenticated", msg: "missing bearer token" },
    });
    expect(await twirp("ListArtifacts", ids("r1", "other-job"), token)).toMatchObject({
      status: 403,
      body: { code: "permission_denied" },
    });
    expect(await twirp("ListArtifacts", ids("r2", "j1"), token)).toMatchObject({ status: 403 });
    expect(await twirp("CreateArtifact", { ...ids("r1", "j1"), name: "" }, token)).toMatchObject({
      status: 400,
      body: { code: "invalid_argument" },
    });
    expect(await twirp("NoSuchMethod", {}, token)).toMatchObject({
      status: 404,
      body: { code: "not_found" },
    });
  });

  it("stores blocks, a block list and single-shot blobs behind signed URLs; int64 fields are strings", async () => {
    const token = service.runtimeEnv({ runBackendId: "proto", jobBackendId: "j1" }).ACTIONS_RUNTIME_TOKEN;
    const created = await twirp(
      "CreateArtifact",
      { ...ids("proto", "j1"), name: "blocks", version: 7 },
      token,
    );
    const upload = String(created.body.signed_upload_url);
    expect(created).toMatchObject({ status: 200, body: { ok: true } });
    const put = (query: string, body: string, headers: Record<string, string> = {}) =>
      fetch(`${upload}&${query}`, { method: "PUT", body, headers });
    expect((await put("comp=block&blockid=QQ%3D%3D", "hello ")).status).toBe(201);
    expect((await put("comp=block&blockid=Qg%3D%3D", "world")).status).toBe(201);
    const commit = await put(
      "comp=blocklist",
      "<BlockList><Latest>QQ==</Latest><Latest>Qg==</Latest></BlockList>",
      {
        "x-ms-blob-content-type": "text/plain",
      },
    );
    expect(commit.status).toBe(201);
    const forged = await fetch(upload.replace(/sig=\w+/, "sig=forged"), { method: "PUT", body: "x" });
    expect(forged.status).toBe(403);
    expect(await forged.text()).toContain("<Code>AuthenticationFailed</Code>");

    const wrongSize = await twirp(
      "FinalizeArtifact",
      { ...ids("proto", "j1"), name: "blocks", size: "3" },
      token,
    );
    expect(wrongSize).toMatchObject({ status: 400, body: { code: "invalid_argument" } });
    const hash = sha256Digest(Buffer.from("hello world"));
    const finalized = await twirp(
      "FinalizeArtifact",
      { ...ids("proto", "j1"), name: "blocks", size: "11", hash },
      token,
    );
    expect(finalized).toMatchObject({
      status: 200,
      body: { ok: true, artifact_id: expect.stringMatching(/^\d+$/) },
    });

    const single = await twirp("CreateArtifact", { ...ids("proto", "j1"), name: "single" }, token);
    const noType = await fetch(String(single.body.signed_upload_url), { method: "PUT", body: "one" });
    expect(noType.status).toBe(400); // a single PUT must say x-ms-blob-type: BlockBlob
    const shot = await fetch(String(single.body.signed_upload_url), {
      method: "PUT",
      body: "one",
      headers: { "x-ms-blob-type": "BlockBlob" },
    });
    expect(shot.status).toBe(201);
    await twirp("FinalizeArtifact", { ...ids("proto", "j1"), name: "single", size: "3" }, token);

    const listed = await twirp("ListArtifacts", { ...ids("proto", "j1"), name_filter: "blocks" }, token);
    expect(listed.body.artifacts).toEqual([
      {
        ...ids("proto", "j1"),
        database_id: finalized.body.artifact_id,
        name: "blocks",
        size: "11",
        created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        digest: hash,
      },
    ]);
    const byId = await twirp(
      "ListArtifacts",
      { ...ids("proto", "j1"), id_filter: finalized.body.artifact_id },
      token,
    );
    expect((byId.body.artifacts as { name: string }[]).map((a) => a.name)).toEqual(["blocks"]);
    const url = await twirp("GetSignedArtifactURL", { ...ids("proto", "j1"), name: "blocks" }, token);
    const download = await fetch(String(url.body.signed_url));
    expect(download.headers.get("content-type")).toBe("text/plain");
    expect(await download.text()).toBe("hello world");
    expect(service.artifacts({ runBackendId: "proto" }).map((a) => [a.name, a.size])).toEqual([
      ["blocks", 11],
      ["single", 3],
    ]);
  });
});

describe("the real client in this process", () => {
  function as(runBackendId: string, jobBackendId: string): DefaultArtifactClient {
    delete process.env.GITHUB_SERVER_URL;
    Object.assign(process.env, service.runtimeEnv({ runBackendId, jobBackendId }));
    return new DefaultArtifactClient();
  }

  it("uploads, lists, gets, downloads (extracted) and deletes; names are unique across the run's jobs", async () => {
    const client = as("client-run", "job-1");
    await writeFile(join(dir, "a.txt"), "alpha");
    await writeFile(join(dir, "b.txt"), "beta");
    const up = await client.uploadArtifact("pair", [join(dir, "a.txt"), join(dir, "b.txt")], dir);
    expect(service.files("pair")).toEqual(
      new Map([
        ["a.txt", Buffer.from("alpha")],
        ["b.txt", Buffer.from("beta")],
      ]),
    );
    const other = as("client-run", "job-2");
    const duplicate = await other.uploadArtifact("pair", [join(dir, "a.txt")], dir).catch((e: unknown) => e);
    expect((duplicate as Error).message).toMatch(
      /CreateArtifact: .*\(409\) Conflict: an artifact named "pair" already exists/,
    );

    const { artifacts } = await other.listArtifacts();
    expect(artifacts).toEqual([
      { name: "pair", id: up.id, size: up.size, createdAt: expect.any(Date), digest: `sha256:${up.digest}` },
    ]);
    expect((await other.getArtifact("pair")).artifact.id).toBe(up.id);
    const out = join(dir, "out");
    const got = await other.downloadArtifact(up.id!, { path: out, expectedHash: `sha256:${up.digest}` });
    expect(got.digestMismatch).toBe(false);
    expect(await readFile(join(out, "b.txt"), "utf8")).toBe("beta");

    expect(await other.deleteArtifact("pair")).toEqual({ id: up.id });
    expect((await other.listArtifacts()).artifacts).toEqual([]);
    await other.uploadArtifact("pair", [join(dir, "a.txt")], dir); // the name is free again
    expect(service.requests.some((r) => r.endpoint === "DeleteArtifact" && r.status === 200)).toBe(true);
  });

  it("reports a digest mismatch for a corrupted blob (the client only flags it)", async () => {
    const client = as("corrupt-run", "job-1");
    await writeFile(join(dir, "data.bin"), randomBytes(4096));
    const up = await client.uploadArtifact("data", [join(dir, "data.bin")], dir, { compressionLevel: 0 });
    service.corrupt("data");
    const got = await client.downloadArtifact(up.id!, {
      path: join(dir, "out"),
      expectedHash: `sha256:${up.digest}`,
      skipDecompress: true,
    });
    expect(got.digestMismatch).toBe(true);
  });

  it.each([1, 10])("round-trips %i MB (incompressible) on loopback", async (mb) => {
    const client = as("size-run", `job-${mb}`);
    const bytes = randomBytes(mb * 1024 * 1024);
    await writeFile(join(dir, "journal.db"), bytes);
    const started = performance.now();
    const up = await client.uploadArtifact(`size-${mb}`, [join(dir, "journal.db")], dir, {
      compressionLevel: 1,
    });
    const uploaded = performance.now();
    await client.downloadArtifact(up.id!, { path: join(dir, "out"), expectedHash: `sha256:${up.digest}` });
    const done = performance.now();
    const back = await readFile(join(dir, "out", "journal.db"));
    expect(createHash("sha256").update(back).digest("hex")).toBe(
      createHash("sha256").update(bytes).digest("hex"),
    );
    console.info(
      `${mb} MB: upload ${Math.round(uploaded - started)} ms, download ${Math.round(done - uploaded)} ms`,
    );
  });
});

describe("the real client under Node 24 in a child process", () => {
  it("uploads and downloads against this process's service", async () => {
    const file = join(dir, "snapshot.db");
    const bytes = randomBytes(300_000);
    await writeFile(file, bytes);
    const script = fileURLToPath(new URL("./artifact-roundtrip.mjs", import.meta.url));
    const env = {
      PATH: process.env.PATH,
      ...service.runtimeEnv({ runBackendId: "node24-run", jobBackendId: "job-1" }),
    };
    const { code, stdout, stderr } = await run(
      node24(),
      [script, file, "node24-snapshot", join(dir, "out")],
      env,
    );
    expect(code, stderr).toBe(0);
    const result = JSON.parse(stdout.trim().split("\n").at(-1)!) as {
      node: string;
      digestMismatch: boolean;
      downloadedBytes: number;
      listed: { digest: string };
    };
    expect(result.node).toMatch(/^v24\./);
    expect(result).toMatchObject({ digestMismatch: false, downloadedBytes: bytes.length });
    expect(result.listed.digest).toBe(service.artifacts({ runBackendId: "node24-run" })[0]!.digest);
    expect(sha256Digest(service.files("node24-snapshot").get("snapshot.db")!)).toBe(sha256Digest(bytes));
  });
});

/** Runs a child asynchronously (the service answers from this process's event loop). */
function run(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, cwd: fileURLToPath(new URL("../..", import.meta.url)) });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}
