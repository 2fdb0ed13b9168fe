import nock from "nock";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { upsertCheckRun, type Annotation, type UpsertCheckRunOptions } from "../../src/github/index.js";
import { checkRecorded, fakeApi, testClient, type FakeApi } from "./github-test-client.js";

interface FakeCheckRun {
  id: number;
  name: string;
  head_sha: string;
  external_id: string;
  status: string;
  conclusion: string | null;
  output: { title: string; summary: string; text: string | null; annotations_count: number };
  annotations: unknown[];
}

const SHA = "6dcb09b5b57875f334f61aebed695e2e4193db5e";
let api: FakeApi;

beforeAll(() => nock.disableNetConnect());
afterEach(() => {
  checkRecorded(api.requests);
  nock.cleanAll();
});

/** The check runs of repository o/r as GitHub keeps them (annotations appended on every write). */
function fakeCheckRuns(options: { runs?: FakeCheckRun[]; failCreates?: number } = {}): {
  runs: FakeCheckRun[];
} {
  const runs = [...(options.runs ?? [])];
  let failCreates = options.failCreates ?? 0;
  let nextId = 4000;
  interface Write {
    name?: string;
    head_sha?: string;
    external_id?: string;
    status?: string;
    conclusion?: string;
    output?: { title: string; summary: string; text?: string; annotations?: unknown[] };
  }
  const apply = (run: FakeCheckRun, body: Write) => {
    Object.assign(run, {
      ...(body.name ? { name: body.name } : {}),
      ...(body.external_id ? { external_id: body.external_id } : {}),
      ...(body.status ? { status: body.status } : {}),
      ...(body.conclusion ? { conclusion: body.conclusion, status: "completed" } : {}),
    });
    if (body.output) {
      run.annotations.push(...(body.output.annotations ?? []));
      run.output = {
        title: body.output.title,
        summary: body.output.summary,
        text: body.output.text ?? null,
        annotations_count: run.annotations.length,
      };
    }
  };
  api.persistent
    .get(`/repos/o/r/commits/${SHA}/check-runs`)
    .query(true)
    .reply((uri) => {
      const params = new URL(uri, "https://api.github.com").searchParams;
      const found = runs.filter((r) => r.head_sha === SHA && r.name === params.get("check_name"));
      return [200, { total_count: found.length, check_runs: found }];
    })
    .post("/repos/o/r/check-runs")
    .reply((_uri, raw) => {
      const body = raw as Write;
      const run: FakeCheckRun = {
        id: nextId++,
        name: "",
        head_sha: body.head_sha ?? "",
        external_id: "",
        status: "queued",
        conclusion: null,
        output: { title: "", summary: "", text: null, annotations_count: 0 },
        annotations: [],
      };
      apply(run, body);
      runs.push(run);
      if (failCreates > 0) {
        failCreates--;
        return [502, { message: "Server Error" }];
      }
      return [201, run];
    })
    .patch(/^\/repos\/o\/r\/check-runs\/\d+$/)
    .reply((uri, raw) => {
      const run = runs.find((r) => r.id === Number(uri.split("/").pop()));
      if (!run) return [404, { message: "Not Found" }];
      apply(run, raw as Write);
      return [200, run];
    });
  return { runs };
}

const base: UpsertCheckRunOptions = {
  owner: "o",
  repo: "r",
  name: "stageflow: deploy",
  headSha: SHA,
  externalId: "run-1",
  status: "in_progress",
  output: { title: "deploy: running", summary: "| stage | state |" },
};

function annotations(count: number): Annotation[] {
  return Array.from({ length: count }, (_, i) => ({
    path: ".github/stageflow/deploy.yml",
    start_line: i + 1,
    end_line: i + 1,
    annotation_level: "failure" as const,
    message: `step ${i} failed`,
  }));
}

describe("upsertCheckRun", () => {
  it("creates a check run on the head SHA with the run id as external_id", async () => {
    api = fakeApi();
    const state = fakeCheckRuns();
    const result = await upsertCheckRun(testClient(), {
      ...base,
      actions: [{ label: "Cancel", description: "Cancel the run", identifier: "cancel" }],
    });
    expect(result.created).toBe(true);
    expect(state.runs).toHaveLength(1);
    expect(state.runs[0]).toMatchObject({ id: result.id, external_id: "run-1", status: "in_progress" });
    const post = api.sent("POST", "/repos/o/r/check-runs")[0]?.body as Record<string, unknown>;
    expect(post).toMatchObject({ head_sha: SHA, name: "stageflow: deploy", status: "in_progress" });
    expect(post).not.toHaveProperty("conclusion");
    expect(post.actions).toEqual([{ label: "Cancel", description: "Cancel the run", identifier: "cancel" }]);
  });

  it("updates by id with the conclusion once completed", async () => {
    api = fakeApi();
    const first = fakeCheckRuns();
    const { id } = await upsertCheckRun(testClient(), base);
    const result = await upsertCheckRun(testClient(), {
      ...base,
      checkRunId: id,
      status: "completed",
      conclusion: "success",
      completedAt: "2026-12-05T23:00:00Z",
      output: { title: "deploy: succeeded", summary: "all green" },
    });
    expect(result).toEqual({ id, created: false });
    expect(first.runs).toHaveLength(1);
    expect(first.runs[0]).toMatchObject({ status: "completed", conclusion: "success" });
    expect(api.sent("PATCH", `/repos/o/r/check-runs/${id}`)[0]?.body).toMatchObject({
      completed_at: "2026-12-05T23:00:00Z",
    });
  });

  it("finds the run's check run by external_id when the id is not known", async () => {
    api = fakeApi();
    const other = { name: base.name, head_sha: SHA, status: "completed", conclusion: "success" };
    const output = { title: "", summary: "", text: null, annotations_count: 0 };
    const state = fakeCheckRuns({
      runs: [
        { ...other, id: 1, external_id: "run-0", output, annotations: [] },
        { ...other, id: 2, external_id: "run-1", output, annotations: [] },
      ],
    });
    const result = await upsertCheckRun(testClient(), base);
    expect(result).toEqual({ id: 2, created: false });
    expect(state.runs).toHaveLength(2);
    expect(api.sent("GET", `/repos/o/r/commits/${SHA}/check-runs`)[0]?.path).toContain("filter=all");
  });

  it("falls back to a search when the known check run is gone (404), then creates", async () => {
    api = fakeApi();
    const state = fakeCheckRuns();
    const result = await upsertCheckRun(testClient(), { ...base, checkRunId: 999 });
    expect(result.created).toBe(true);
    expect(state.runs).toHaveLength(1);
    expect(api.requests.map((r) => r.method)).toEqual(["PATCH", "GET", "POST"]);
  });

  it("converges on the check run a create made before answering 502: exactly one", async () => {
    api = fakeApi();
    const state = fakeCheckRuns({ failCreates: 1 });
    const result = await upsertCheckRun(testClient(), {
      ...base,
      output: { ...base.output, annotations: annotations(3) },
    });
    expect(result.created).toBe(true);
    expect(state.runs).toHaveLength(1);
    expect(state.runs[0]?.id).toBe(result.id);
    expect(api.sent("POST", "/repos/o/r/check-runs")).toHaveLength(1);
    // The create applied with its annotations: they are not written twice.
    expect(state.runs[0]?.annotations).toHaveLength(3);
    expect(api.sent("PATCH", "/repos/o/r/check-runs/")).toHaveLength(0);
  });

  it("writes 120 annotations in 3 requests of at most 50", async () => {
    api = fakeApi();
    const state = fakeCheckRuns();
    await upsertCheckRun(testClient(), {
      ...base,
      output: { ...base.output, annotations: annotations(120) },
    });
    const writes = api.requests.filter((r) => r.method !== "GET");
    expect(writes.map((r) => r.method)).toEqual(["POST", "PATCH", "PATCH"]);
    const sizes = writes.map(
      (r) => (r.body as { output: { annotations: unknown[] } }).output.annotations.length,
    );
    expect(sizes).toEqual([50, 50, 20]);
    expect(state.runs[0]?.annotations).toHaveLength(120);
    expect(state.runs[0]?.annotations).toEqual(annotations(120));
  });

  it("keeps the summary under GitHub's limit with a note", async () => {
    api = fakeApi();
    const state = fakeCheckRuns();
    await upsertCheckRun(testClient(), {
      ...base,
      runId: "run-1",
      output: { title: "t", summary: `${"y".repeat(79)}\n`.repeat(1000) },
    });
    const summary = state.runs[0]?.output.summary ?? "";
    expect(summary.length).toBeLessThanOrEqual(65_535);
    expect(summary).toMatch(/cut: \d+ characters over GitHub's limit/);
  });

  it("refuses more than 3 actions and an identifier over 20 characters; clips labels", async () => {
    api = fakeApi();
    const action = (identifier: string) => ({ label: identifier, description: "d", identifier });
    await expect(
      upsertCheckRun(testClient(), { ...base, checkRunId: 1, actions: ["a", "b", "c", "d"].map(action) }),
    ).rejects.toThrow(/at most 3 actions/);
    await expect(
      upsertCheckRun(testClient(), { ...base, checkRunId: 1, actions: [action("x".repeat(21))] }),
    ).rejects.toThrow(/1 to 20 characters/);
    const state = fakeCheckRuns({});
    await upsertCheckRun(testClient(), {
      ...base,
      actions: [{ label: "Retry the failed steps", description: "z".repeat(50), identifier: "retry" }],
    });
    const post = api.sent("POST", "/repos/o/r/check-runs")[0]?.body as {
      actions: { label: string; description: string }[];
    };
    expect(post.actions[0]?.label.length).toBeLessThanOrEqual(20);
    expect(post.actions[0]?.description.length).toBeLessThanOrEqual(40);
    expect(state.runs).toHaveLength(1);
  });
});
