/**
 * The Action host with the artifact checkpoint store and the real `@actions/artifact` client
 * against the loopback artifact service, in this process: attempt 1 uploads checkpoints (one left
 * per attempt), attempt 2 on a fresh runner restores the latest and does not run the steps again.
 * The journal's `snapshot` is a stand-in here (better-sqlite3's online backup from a second
 * connection) until the SQLite journal has its own.
 */
import Database from "better-sqlite3";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import { artifactCheckpoints } from "../../src/action/checkpoints.js";
import { checkpointKey, runAction } from "../../src/action/host.js";
import type { ActionJournal, ActionOutput } from "../../src/action/ports.js";
import { createSqliteJournal } from "../../src/sqlite.js";
import { startArtifactService, type ArtifactService } from "../support/artifact-service.js";

let service: ArtifactService;
let ws: string;
const savedEnv = { ...process.env };

beforeAll(async () => {
  service = await startArtifactService();
  ws = mkdtempSync(join(tmpdir(), "sf-action-checkpoints-"));
});
afterAll(async () => {
  await service.close();
  rmSync(ws, { recursive: true, force: true });
});
afterEach(() => {
  process.env = { ...savedEnv };
});

const WORKFLOW = `name: two-stages
stages:
  - id: build
    steps:
      - id: once
        run: echo built >> build.log
  - id: test
    steps:
      - id: check
        run: echo tested >> test.log
`;

function journalWithSnapshot(path: string, durability: "process" | "machine"): ActionJournal {
  const journal = createSqliteJournal({ path, durability });
  return Object.assign(journal, {
    async snapshot(dest: string) {
      const db = new Database(path, { readonly: true, fileMustExist: true });
      try {
        await db.backup(dest);
      } finally {
        db.close();
      }
      return { path: dest, bytes: readFileSync(dest).length };
    },
  }) as unknown as ActionJournal;
}

interface AttemptOptions {
  /** `GITHUB_RUN_ID` (the artifacts are per workflow run). */
  run?: string;
  /** The workspace. */
  dir?: string;
  /** More environment: `INPUT_*` and the like. */
  env?: Record<string, string>;
}

async function attempt(n: number, options: AttemptOptions = {}) {
  const run = options.run ?? "42";
  const dir = options.dir ?? ws;
  const ids = service.runtimeEnv({ runBackendId: `run-${run}`, jobBackendId: `build-${run}-a${n}` });
  delete process.env.GITHUB_SERVER_URL;
  Object.assign(process.env, ids); // the artifact client reads process.env
  const lines: string[] = [];
  const warnings: string[] = [];
  const failed: string[] = [];
  const out: ActionOutput = {
    info: (m) => lines.push(m),
    warning: (m) => warnings.push(m),
    error: (m) => lines.push(`error: ${m}`),
    notice: (m) => lines.push(m),
    setFailed: (m) => failed.push(m),
    setOutput: () => {},
    setSecret: () => {},
    startGroup: () => {},
    endGroup: () => {},
    writeSummary: async () => {},
  };
  const result = await runAction({
    env: {
      GITHUB_WORKSPACE: dir,
      RUNNER_TEMP: join(dir, `runner-temp-${n}`), // a fresh runner per attempt
      GITHUB_RUN_ID: run,
      GITHUB_RUN_ATTEMPT: String(n),
      GITHUB_JOB: "build",
      GITHUB_REPOSITORY: "octo/repo",
      INPUT_WORKFLOW: "flow.yml",
      INPUT_CHECKPOINT: "artifact",
      PATH: process.env.PATH ?? "",
      ...ids,
      ...options.env,
    },
    cwd: dir,
    out,
    openJournal: journalWithSnapshot,
    verifySnapshot: () => {},
    checkpoints: artifactCheckpoints({ job: "build", attempt: n }),
  });
  return { result, lines, warnings, failed };
}

it("attempt 1 keeps one checkpoint; attempt 2 restores it and runs no step again", async () => {
  writeFileSync(join(ws, "flow.yml"), WORKFLOW);
  const first = await attempt(1);
  expect(first.warnings).toEqual([]);
  expect(first.result).toMatchObject({ status: "succeeded", failed: false });
  const kept = service.artifacts({ runBackendId: "run-42" });
  expect(kept.map((a) => a.name)).toEqual([expect.stringMatching(/^stageflow-build-[0-9a-f]{10}-a1-\d+$/)]);
  const [snapshot] = [...service.files(kept[0]!.name).values()];
  expect(snapshot!.subarray(0, 16).toString("latin1")).toBe("SQLite format 3\0");
  expect(service.requests.filter((r) => r.endpoint === "DeleteArtifact").length).toBeGreaterThan(0);

  const second = await attempt(2);
  expect(second.warnings).toEqual([]);
  expect(second.lines).toContainEqual(expect.stringMatching(new RegExp(`^Restored checkpoint ${kept[0]!.name} `)));
  expect(second.result).toMatchObject({ status: "succeeded", failed: false });
  expect(readFileSync(join(ws, "build.log"), "utf8")).toBe("built\n");
  expect(readFileSync(join(ws, "test.log"), "utf8")).toBe("tested\n");
});

/** Stage two fails while the file `fail` is in the workspace; each step logs its run and attempt. */
const FLAKY = `name: flaky
inputs:
  token: { type: string, secret: true, default: "" }
stages:
  - id: one
    steps:
      - id: first
        run: echo "ran $GITHUB_RUN_ID/$GITHUB_RUN_ATTEMPT" >> one.log
  - id: two
    steps:
      - id: second
        run: |
          echo "ran $GITHUB_RUN_ID/$GITHUB_RUN_ATTEMPT" >> two.log
          if [ -f fail ]; then exit 4; fi
`;

function workspace(): string {
  const dir = mkdtempSync(join(ws, "job-"));
  writeFileSync(join(dir, "flow.yml"), FLAKY);
  return dir;
}

const logOf = (dir: string, file: string) => readFileSync(join(dir, file), "utf8").trim().split("\n");

it("a re-run given another value of a secret input (a per-job token) resumes, under the same checkpoint name", async () => {
  const dir = workspace();
  writeFileSync(join(dir, "fail"), "");
  const first = await attempt(1, { run: "43", dir, env: { INPUT_INPUTS: "token: ghs_tokenOfAttempt1" } });
  expect(first.result.status).toBe("failed");
  rmSync(join(dir, "fail"));

  const second = await attempt(2, { run: "43", dir, env: { INPUT_INPUTS: "token: ghs_tokenOfAttempt2" } });
  expect(second.warnings).toEqual([]);
  expect(second.lines).toContainEqual(expect.stringMatching(/^Restored checkpoint stageflow-build-\w+-a1-\d+ /));
  expect(second.lines).toContainEqual(expect.stringMatching(/^Resuming run /));
  expect(second.result).toMatchObject({ status: "succeeded", runId: first.result.runId });
  expect(logOf(dir, "one.log")).toEqual(["ran 43/1"]); // not again
  expect(logOf(dir, "two.log")).toEqual(["ran 43/1", "ran 43/2"]);

  // The name is that of the same job without the secret input: nothing of the secret is in it.
  const names = service.artifacts({ runBackendId: "run-43" }).map((a) => a.name);
  const key = checkpointKey("build", "flow.yml", {});
  expect(checkpointKey("build", "flow.yml", { token: "ghs_anotherToken" }, "", ["token"])).toBe(key);
  expect(names.sort()).toEqual([expect.stringMatching(`^stageflow-build-${key}-a1-\\d+$`), expect.stringMatching(`^stageflow-build-${key}-a2-\\d+$`)]);
});

it("a re-run whose kept journal (actions/cache) holds only older runs restores the checkpoint over it, and says so", async () => {
  const dir = workspace();
  const cache = join(dir, "cache.db");
  /** A new machine whose `state` is restored from the cache, as actions/cache does before the step. */
  const machine = (name: string) => {
    mkdirSync(join(dir, name));
    copyFileSync(cache, join(dir, name, "state.db"));
    return { INPUT_STATE: join(dir, name, "state.db") };
  };
  // An earlier workflow run leaves the journal in the cache (saved because its job succeeded).
  mkdirSync(join(dir, "earlier"));
  expect((await attempt(1, { run: "44", dir, env: { INPUT_STATE: join(dir, "earlier", "state.db") } })).result.status).toBe("succeeded");
  copyFileSync(join(dir, "earlier", "state.db"), cache);

  writeFileSync(join(dir, "fail"), "");
  const first = await attempt(1, { run: "45", dir, env: machine("m1") });
  expect(first.result.status).toBe("failed"); // the job fails: the cache is not saved again
  rmSync(join(dir, "fail"));

  const env = machine("m2");
  const second = await attempt(2, { run: "45", dir, env });
  expect(second.warnings).toEqual([]);
  expect(second.lines).toContainEqual(
    expect.stringMatching(new RegExp(`^Restored checkpoint stageflow-build-\\w+-a1-\\d+ \\(run ${first.result.runId}, failed\\) over the journal at ${env.INPUT_STATE}, which held no run of this job\\.$`)),
  );
  expect(second.result).toMatchObject({ status: "succeeded", runId: first.result.runId });
  expect(logOf(dir, "one.log")).toEqual(["ran 44/1", "ran 45/1"]); // stage one not again
  expect(logOf(dir, "two.log")).toEqual(["ran 44/1", "ran 45/1", "ran 45/2"]);
  const journal = createSqliteJournal({ path: env.INPUT_STATE, readOnly: true });
  try {
    expect(await journal.listRuns({})).toHaveLength(2); // the earlier run came back with the checkpoint
  } finally {
    await journal.close();
  }
});

it("a re-run whose journal already holds this job's run (the same machine) resumes from it, not from a checkpoint", async () => {
  const dir = workspace();
  const state = { INPUT_STATE: join(dir, "kept", "state.db") };
  writeFileSync(join(dir, "fail"), "");
  const first = await attempt(1, { run: "46", dir, env: state });
  expect(first.result.status).toBe("failed");
  rmSync(join(dir, "fail"));

  const second = await attempt(2, { run: "46", dir, env: state });
  expect(second.lines).toContain(`The journal at ${state.INPUT_STATE} already holds run ${first.result.runId} of this job (failed): no checkpoint restored.`);
  expect(second.lines.filter((l) => l.startsWith("Restored checkpoint"))).toEqual([]);
  expect(second.result).toMatchObject({ status: "succeeded", runId: first.result.runId });
  expect(logOf(dir, "one.log")).toEqual(["ran 46/1"]);
});
