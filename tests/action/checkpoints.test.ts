/**
 * The checkpoint store with the real `@actions/artifact` client against the loopback artifact
 * service: names, round trips across attempts, the latest pick, corruption and service failures.
 * The client reads its configuration from process.env, set here per test (forks pool: this file
 * has its own process) and restored afterwards.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { defaultArtifactPort, type ArtifactPort } from "../../src/action/artifact-port.js";
import type { ActionDeps } from "../../src/action/ports.js";
import {
  artifactCheckpoints,
  checkpointArtifactName,
  createCheckpointStore,
  isCheckpointError,
  parseCheckpointArtifactName,
  type CheckpointStoreOptions,
} from "../../src/action/checkpoints.js";
import { sha256Digest, startArtifactService, type ArtifactService } from "../support/artifact-service.js";

const RUN = "0f2b5e3a-run";
let service: ArtifactService;
let port: ArtifactPort;
let dir: string;
const saved = { ...process.env };

beforeAll(async () => {
  service = await startArtifactService();
  port = defaultArtifactPort();
  await import("@actions/artifact"); // loaded once here, not inside the first test's time
});
afterAll(async () => {
  await service.close();
});
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "stageflow-checkpoints-test-"));
});
afterEach(async () => {
  process.env = { ...saved };
  await rm(dir, { recursive: true, force: true });
});

/** Points the client at the service as the job of `attempt` (each attempt has its own job id). */
function asAttempt(attempt: number): void {
  delete process.env.GITHUB_SERVER_URL;
  Object.assign(process.env, service.runtimeEnv({ runBackendId: RUN, jobBackendId: `job-a${attempt}` }));
}

function store(attempt: number, options: Partial<CheckpointStoreOptions> = {}) {
  asAttempt(attempt);
  return createCheckpointStore({ port, job: "build", key: "k1", attempt, retentionDays: 1, ...options });
}

async function snapshot(name: string, bytes: Buffer): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, bytes);
  return file;
}

describe("checkpoint names", () => {
  it("include job, key, attempt and seq, reduced to the characters artifact names allow", () => {
    const name = checkpointArtifactName({ job: "build/linux:x64", key: "a-b c", attempt: 3, seq: 12 });
    expect(name).toBe("stageflow-build_linux_x64-a_b_c-a3-12");
    expect(parseCheckpointArtifactName(name, "build/linux:x64", "a-b c")).toEqual({ attempt: 3, seq: 12 });
    expect(parseCheckpointArtifactName("stageflow-build-other-a1-1", "build", "k1")).toBeNull();
    expect(parseCheckpointArtifactName("stageflow-build-k1-a1-1x", "build", "k1")).toBeNull();
  });

  it("rejects a bad attempt or option with a TypeError naming it", () => {
    expect(() => createCheckpointStore({ port, job: "j", key: "k", attempt: 0 })).toThrow(/attempt must be an integer ≥ 1, got 0/);
    expect(() => createCheckpointStore({ port, job: "j", key: "k", attempt: 1, compressionLevel: 12 })).toThrow(/compressionLevel/);
  });
});

describe("save and restore with the real client", () => {
  it("restores on attempt 2 the bytes attempt 1 saved, under a name with the attempt", async () => {
    const bytes = randomBytes(200_000);
    const first = store(1);
    const saved1 = await first.save(await snapshot("journal.db", bytes), 1);
    expect(saved1.name).toBe("stageflow-build-k1-a1-1");
    expect(saved1.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    const stored = service.artifacts().find((a) => a.name === saved1.name)!;
    expect(stored).toMatchObject({ id: saved1.id, size: saved1.bytes, digest: saved1.digest, jobBackendId: "job-a1" });
    expect(stored.expiresAt).toBeDefined();
    expect(sha256Digest(service.files(saved1.name).get("journal.db")!)).toBe(sha256Digest(bytes));

    expect(await first.restoreLatest(1, join(dir, "out1"))).toBeNull(); // attempt 1: nothing to resume

    const second = store(2);
    const restored = await second.restoreLatest(2, join(dir, "out2"));
    expect(restored).toMatchObject({ name: saved1.name, attempt: 1, seq: 1, id: saved1.id, digest: saved1.digest });
    expect(restored!.path).toBe(join(dir, "out2", "journal.db"));
    expect(sha256Digest(await readFile(restored!.path))).toBe(sha256Digest(bytes)); // toEqual on 200 KB is slow
  });

  it("keeps one checkpoint per attempt and restores the latest of the latest earlier attempt", async () => {
    const key = "latest";
    const one = store(1, { key });
    await one.save(await snapshot("j.db", Buffer.from("a1 s1")), 1);
    await one.save(await snapshot("j.db", Buffer.from("a1 s2")), 2);
    const two = store(2, { key });
    await two.save(await snapshot("j.db", Buffer.from("a2 s1")), 1);
    await two.save(await snapshot("j.db", Buffer.from("a2 s7")), 7);
    await two.save(await snapshot("j.db", Buffer.from("a2 s10")), 10);
    // a checkpoint of another stageflow run in the same job is not a candidate
    await store(2, { key: "other" }).save(await snapshot("j.db", Buffer.from("other")), 99);

    const names = service.artifacts({ runBackendId: RUN }).map((a) => a.name).filter((n) => n.includes("-latest-"));
    expect(names.sort()).toEqual(["stageflow-build-latest-a1-2", "stageflow-build-latest-a2-10"]);

    const three = store(3, { key });
    const restored = await three.restoreLatest(3, join(dir, "out"));
    expect(restored).toMatchObject({ attempt: 2, seq: 10 });
    expect((await readFile(restored!.path)).toString()).toBe("a2 s10");
    // attempt 2 asked again (e.g. the host re-reading) sees only attempt 1
    expect(await store(2, { key }).restoreLatest(2, join(dir, "o2"))).toMatchObject({ attempt: 1, seq: 2 });
  });

  it("plugs into the host as ActionDeps.checkpoints: a store per run key for this job and attempt", async () => {
    asAttempt(1);
    const checkpoints: ActionDeps["checkpoints"] = artifactCheckpoints({ job: "deploy", attempt: 1 });
    const saved1 = await checkpoints!("3fa9c1d2e0", 2).save(await snapshot("state.db.checkpoint-1", Buffer.from("s")), 1);
    expect(saved1).toMatchObject({ name: "stageflow-deploy-3fa9c1d2e0-a1-1", bytes: expect.any(Number) });
    const stored = service.artifacts().find((a) => a.name === saved1.name)!;
    const days = (Date.parse(stored.expiresAt!) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(1.9);
    expect(days).toBeLessThanOrEqual(2);
    asAttempt(2);
    const found = await artifactCheckpoints({ job: "deploy", attempt: 2 })("3fa9c1d2e0", 2).restoreLatest(2, join(dir, "r"));
    expect(found).toMatchObject({ name: saved1.name, path: join(dir, "r", "state.db.checkpoint-1") });
  });

  it("returns null on a re-run when no earlier attempt saved a checkpoint", async () => {
    expect(await store(2, { key: "none" }).restoreLatest(2, dir)).toBeNull();
  });

  it("fails a second upload of the same name with the service's 409", async () => {
    const s = store(1, { key: "dup" });
    const file = await snapshot("j.db", Buffer.from("x"));
    await s.save(file, 1);
    const error = await s.save(file, 1).catch((e: unknown) => e);
    expect(isCheckpointError(error)).toBe(true);
    expect((error as Error).message).toMatch(/Checkpoint upload of artifact "stageflow-build-dup-a1-1" failed: .*\(409\).*already exists/);
  });

  it("detects a corrupted checkpoint by its digest and says which one", async () => {
    const saved1 = await store(1, { key: "bad" }).save(await snapshot("j.db", randomBytes(50_000)), 4);
    service.corrupt(saved1.name);
    const error = await store(2, { key: "bad" })
      .restoreLatest(2, join(dir, "out"))
      .catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/Checkpoint artifact "stageflow-build-bad-a1-4" is corrupted: its content has digest sha256:\w+, the service listed sha256:/);
  });

  it("only warns when the previous checkpoint cannot be deleted", async () => {
    const warnings: string[] = [];
    const s = store(1, { key: "del", warn: (m) => warnings.push(m) });
    await s.save(await snapshot("j.db", Buffer.from("1")), 1);
    service.failNext("DeleteArtifact", 403);
    const second = await s.save(await snapshot("j.db", Buffer.from("2")), 2);
    expect(second.name).toBe("stageflow-build-del-a1-2");
    expect(warnings).toEqual([expect.stringMatching(/Could not delete the previous checkpoint artifact "stageflow-build-del-a1-1": .*\(403\)/)]);
  });
});

describe("a failing service gives a clear error, fast", () => {
  // The client retries Twirp 429/500/502/503/504 five times from 3 s (~30 s) and blob 500/503
  // four times (0 + 4 + 12 s); neither is configurable, so these use statuses it does not retry.
  it("names the artifact and the service's status when CreateArtifact is refused", async () => {
    service.failNext("CreateArtifact", 403);
    const error = await store(1, { key: "fail" })
      .save(await snapshot("j.db", Buffer.from("x")), 1)
      .catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/^Checkpoint upload of artifact "stageflow-build-fail-a1-1" failed: Failed to CreateArtifact: .*\(403\) Forbidden: injected failure/);
  });

  it("fails when blob storage refuses the content", async () => {
    service.failNext("BlobUpload", 403);
    const error = await store(1, { key: "blob" })
      .save(await snapshot("j.db", Buffer.from("x")), 1)
      .catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/^Checkpoint upload of artifact "stageflow-build-blob-a1-1" failed: .*injected failure of BlobUpload/);
  });

  it("names the operation when listing fails on restore", async () => {
    service.failNext("ListArtifacts", 401);
    const error = await store(2).restoreLatest(2, dir).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/^Listing this run's artifacts to find a checkpoint failed: .*\(401\)/);
  });

  it("names the artifact when its download URL is refused", async () => {
    await store(1, { key: "url" }).save(await snapshot("j.db", Buffer.from("x")), 1);
    service.failNext("GetSignedArtifactURL", 403);
    const error = await store(2, { key: "url" }).restoreLatest(2, dir).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/^Checkpoint download of artifact "stageflow-build-url-a1-1" \(id \d+\) failed: .*\(403\)/);
  });

  it("fails at once with the network error when the service is unreachable", async () => {
    const s = store(1, { key: "down" });
    const closed = await startArtifactService();
    await closed.close();
    process.env.ACTIONS_RESULTS_URL = closed.url; // nothing listens there any more
    const error = await s.save(await snapshot("j.db", Buffer.from("x")), 1).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(
      /^Checkpoint upload of artifact "stageflow-build-down-a1-1" failed: Failed to CreateArtifact: Unable to make request: ECONNREFUSED/,
    );
  });

  it("rides out a transient blob storage error (the blob client retries the first time without delay)", async () => {
    service.failNext("BlobUpload", 503);
    const saved1 = await store(1, { key: "flaky" }).save(await snapshot("j.db", Buffer.from("x")), 1);
    expect(saved1.name).toBe("stageflow-build-flaky-a1-1");
    const uploads = service.requests.filter((r) => r.endpoint === "BlobUpload" && r.path.includes("flaky"));
    expect(uploads.map((r) => r.status)).toEqual([503, 201, 201]); // block, block again, block list
  });

  it("gives up on a stalled upload after ACTIONS_ARTIFACT_UPLOAD_TIMEOUT_MS", async () => {
    const s = store(1, { key: "stall" });
    process.env.ACTIONS_ARTIFACT_UPLOAD_TIMEOUT_MS = "300";
    service.stall("BlobUpload");
    const error = await s.save(await snapshot("j.db", Buffer.from("x")), 1).catch((e: unknown) => e);
    service.release();
    expect((error as Error).message).toMatch(/"stageflow-build-stall-a1-1" failed: Upload progress stalled/);
  });
});
