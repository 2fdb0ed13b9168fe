import { afterEach, describe, expect, it } from "vitest";
import { example, type Harness, harness, SHA } from "./harness.js";
import { GATED } from "./workflows.js";

let h: Harness | undefined;
afterEach(async () => {
  expect(h?.gh.problems ?? []).toEqual([]);
  await h?.close();
  h = undefined;
});

function manySteps(n: number): string {
  const steps = Array.from({ length: n }, (_, i) => `      - { id: s${i}, work: {} }`).join("\n");
  return `
name: big
on: { labels: [big] }
stages:
  - id: all
    steps:
${steps}
`;
}

/** Labels PR 2 with `label` (its head is SHA). */
async function labelPr(h: Harness, label: string) {
  const payload = example("pull_request", "labeled");
  payload.label.name = label;
  payload.pull_request.head.sha = SHA;
  await h.send("pull_request", payload);
}

const reportWrites = (h: Harness) =>
  h.gh.writes().filter((r) => r.operation?.startsWith("checks/") || /comment$/.test(r.operation ?? ""));

describe("the reporter", () => {
  it("coalesces a 200-step run into a handful of writes, the final state always written", async () => {
    h = await harness({ files: { "big.yml": manySteps(200) }, github: { pulls: { 2: { sha: SHA } } } });
    await labelPr(h, "big");
    const run = await h.runWhere((r) => r.status === "succeeded");
    await h.reporter.flush();
    const writes = reportWrites(h);
    // 400+ events (a start and an end per step): one check run and one comment, each written at
    // most a few times (first sight, then once per interval, then the end), never per event.
    expect(writes.length).toBeLessThanOrEqual(6);
    expect(h.gh.checkRuns.size).toBe(1);
    expect([...h.gh.comments.values()].filter((c) => c.issue === 2)).toHaveLength(1);
    const [check] = [...h.gh.checkRuns.values()];
    expect(check).toMatchObject({ external_id: run.id, status: "completed", conclusion: "success" });
    expect(check!.output.summary).toMatch(/s199 \| succeeded \| 1 \|/);
  });

  it("writes at most once per interval per run, on the injected clock", async () => {
    h = await harness({ files: { "big.yml": manySteps(50) }, github: { pulls: { 2: { sha: SHA } } } });
    await labelPr(h, "big");
    await h.runWhere((r) => r.status === "succeeded");
    await h.reporter.catchUp(); // nothing in flight: nothing more to write
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    const before = reportWrites(h).length;
    const checkWritesBefore = reportWrites(h).filter((r) => r.operation?.startsWith("checks/")).length;
    expect(checkWritesBefore).toBe(1); // the first sight; the rest waits for the interval
    await h.clock.advance(1000);
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    expect(reportWrites(h).length).toBe(before + 2); // check run and comment, once
    expect([...h.gh.checkRuns.values()][0]).toMatchObject({ conclusion: "success" });
  });

  it("a write that fails (502, secondary rate limit) is written again later: one check run, one comment", async () => {
    h = await harness({ files: { "big.yml": manySteps(3) }, github: { pulls: { 2: { sha: SHA } } } });
    h.gh.fail({ operation: "checks/create", status: 502 });
    h.gh.fail({
      operation: "issues/create-comment",
      status: 403,
      headers: { "retry-after": "30" },
    });
    await labelPr(h, "big");
    await h.runWhere((r) => r.status === "succeeded");
    await h.reporter.flush();
    expect(h.reporter.failedWrites).toBeGreaterThan(0);
    await h.clock.advance(31_000);
    await h.reporter.flush();
    expect(h.gh.checkRuns.size).toBe(1);
    expect([...h.gh.checkRuns.values()][0]).toMatchObject({ conclusion: "success" });
    expect([...h.gh.comments.values()].filter((c) => c.issue === 2)).toHaveLength(1);
  });

  it("after a restart, brings a waiting run's check run up to date and continues from its cursor", async () => {
    h = await harness({ files: { "gated.yml": GATED }, github: { pulls: { 2: { sha: SHA } } } });
    await labelPr(h, "gated");
    const run = await h.runWhere((r) => r.status === "waiting");
    await h.reporter.flush();
    await h.reporter.close();
    expect([...h.gh.checkRuns.values()][0]).toMatchObject({ conclusion: "action_required" });
    expect([...h.gh.checkRuns.values()][0]!.actions).toEqual([
      expect.objectContaining({ identifier: "approve" }),
      expect.objectContaining({ identifier: "cancel" }),
    ]);
    // While no reporter runs: GitHub's copy goes stale, and the run is cancelled.
    const check = [...h.gh.checkRuns.values()][0]!;
    check.status = "queued";
    await h.engine.cancel(run.id);

    const again = h.newReporter();
    await again.start();
    await again.flush();
    expect(h.gh.checkRuns.size).toBe(1);
    expect(check).toMatchObject({ status: "completed", conclusion: "cancelled" });
    expect(await h.store.cursor("reporter")).toBeGreaterThan(0);
    await again.close();
  });

  it("stops reporting a run whose repository was deleted (404): one failed write, no retries, the cursor not held back", async () => {
    h = await harness({ files: { "gated.yml": GATED }, github: { pulls: { 2: { sha: SHA } } } });
    await labelPr(h, "gated");
    const run = await h.runWhere((r) => r.status === "waiting");
    await h.reporter.flush();
    expect([...h.gh.checkRuns.values()][0]).toMatchObject({ conclusion: "action_required" });
    // The repository is deleted: every route of it answers 404 from now on.
    for (const operation of [
      "checks/update",
      "checks/create",
      "checks/list-for-ref",
      "issues/update-comment",
      "issues/create-comment",
      "issues/list-comments",
      "repos/get",
      "repos/get-content",
    ])
      h.gh.fail({ operation, status: 404, times: 1_000_000 });
    let lastSeq = 0;
    h.engine.on((e) => void (lastSeq = Math.max(lastSeq, e.seq)), { afterSeq: 0 });
    await h.engine.cancel(run.id); // the run's last events: its report is due
    await h.reporter.flush();
    expect(h.reporter.failedWrites).toBe(1);
    const requests = h.gh.requests.length;
    for (let i = 0; i < 30; i++) {
      await h.clock.advance(60_000);
      await h.reporter.flush();
    }
    expect(h.reporter.failedWrites).toBe(1);
    expect(h.gh.requests.length).toBe(requests); // nothing tried again in 30 minutes
    expect(await h.store.cursor("reporter")).toBe(lastSeq);
  });

  it("a 502 that had in fact applied the create still ends with one check run and one comment", async () => {
    h = await harness({ files: { "big.yml": manySteps(3) }, github: { pulls: { 2: { sha: SHA } } } });
    h.gh.fail({ operation: "checks/create", status: 502, applied: true });
    h.gh.fail({ operation: "issues/create-comment", status: 502, applied: true });
    await labelPr(h, "big");
    await h.runWhere((r) => r.status === "succeeded");
    await h.reporter.flush();
    await h.clock.advance(5_000);
    await h.reporter.flush();
    expect(h.gh.checkRuns.size).toBe(1);
    expect([...h.gh.checkRuns.values()][0]).toMatchObject({ conclusion: "success" });
    expect(h.statusComments(2)).toHaveLength(1);
    expect(h.statusComments(2)[0]!.body).toContain("succeeded");
  });

  it("a user's comment that quotes the marker is never edited", async () => {
    h = await harness({ files: { "big.yml": manySteps(2) }, github: { pulls: { 2: { sha: SHA } } } });
    await labelPr(h, "big");
    const run = await h.runWhere((r) => r.status === "succeeded");
    await h.reporter.flush();
    const quote = `as the bot said:\n> <!-- stageflow:run:${run.id} -->`;
    h.gh.comments.set(1, {
      id: 1,
      issue: 2,
      body: quote,
      user: { login: "Codertocat", type: "User" },
      performed_via_github_app: null,
    });
    // The app forgot which comment is its own: it must find it, not the user's.
    const target = (await h.store.reportTarget(run.id))!;
    await h.store.saveReportTarget({ ...target, commentId: null });
    h.reporter.track(run.id);
    await h.reporter.flush();
    expect(h.gh.comments.get(1)!.body).toBe(quote);
    const own = [...h.gh.comments.values()].filter((c) => c.performed_via_github_app?.slug === "stageflow");
    expect(own).toHaveLength(1);
  });

  it("sends a failed step's annotation once per check run, across its updates and a restart (GitHub appends them)", async () => {
    const DEGRADED = `
name: lint-then-gate
on: { labels: [lint] }
stages:
  - id: build
    steps:
      - { id: lint, work: {}, optional: true }
      - { id: compile, work: {} }
  - id: gate
    steps:
      - { id: approve, approval: { permission: write } }
`;
    h = await harness({
      files: { "lint.yml": DEGRADED },
      failing: ["lint"],
      github: { pulls: { 2: { sha: SHA } } },
    });
    await labelPr(h, "lint");
    const run = await h.runWhere((r) => r.status === "waiting");
    await h.reporter.flush();
    await h.clock.advance(1000);
    h.reporter.track(run.id);
    await h.reporter.flush();
    await h.reporter.close();
    // A new process: nothing in memory, the run still waits and is written again.
    const again = h.newReporter();
    await again.start();
    await again.flush();
    await h.engine.cancel(run.id);
    await again.flush();
    await again.close();

    const sent = h.gh.requests
      .filter((r) => r.operation === "checks/create" || r.operation === "checks/update")
      .map((r) => (r.body as { output?: { annotations?: { title?: string }[] } }).output?.annotations ?? []);
    expect(sent.length).toBeGreaterThanOrEqual(3); // created, then updated (also after the restart)
    expect(sent.flat()).toEqual([expect.objectContaining({ annotation_level: "warning", start_line: 7 })]);
    const [check] = [...h.gh.checkRuns.values()];
    expect(check).toMatchObject({ status: "completed", conclusion: "cancelled" });
    expect(check!.annotations).toHaveLength(1);
  });

  it("uses the repository's template override and annotates a failed step at its file:line", async () => {
    h = await harness({
      files: { "big.yml": manySteps(3) },
      templates: { "comment.md": "Custom: {{ workflow }} is {{ status }}" },
      failing: ["s1"],
      github: { pulls: { 2: { sha: SHA } } },
    });
    await labelPr(h, "big");
    await h.runWhere((r) => r.status === "failed");
    await h.reporter.flush();
    expect(h.statusComments(2)[0]!.body).toContain("Custom: big is failed");
    const [check] = [...h.gh.checkRuns.values()];
    expect(check).toMatchObject({ conclusion: "failure" });
    expect(check!.annotations).toEqual([
      expect.objectContaining({
        path: ".github/stageflow/big.yml",
        start_line: 8,
        annotation_level: "failure",
      }),
    ]);
  });
});
