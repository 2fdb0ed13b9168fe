/**
 * The app killed with SIGKILL after a delivery was recorded (and answered) and before its handler
 * started any work — deterministically, at the worker's `beforeHandle` test hook — then started
 * again: the delivery is handled from the inbox, exactly one run starts, finishes and is reported.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, expect, it } from "vitest";
import { type FakeGitHub, startFakeGitHub } from "../../support/fake-github.js";
import { example, SHA } from "../handlers/harness.js";
import { delivery, send } from "../intake/support.js";
import {
  cleanup,
  crash,
  inboxRow,
  lines,
  runs,
  startAppProcess,
  statusComments,
  stop,
  until,
} from "./support.js";

const WORKFLOW = [
  "name: lint",
  "on: { labels: [lint] }",
  "stages:",
  "  - id: only",
  "    steps:",
  "      - id: check",
  "        run: echo check >> steps.txt",
  "",
].join("\n");

let dir: string;
let gh: FakeGitHub | undefined;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "stageflow-crash-beforework-"));
});
afterEach(async () => {
  await cleanup();
  await gh?.close();
  gh = undefined;
  await rm(dir, { recursive: true, force: true });
});

it("SIGKILL between recording a delivery and its work: after a restart exactly one run, completed and reported", async () => {
  gh = await startFakeGitHub({
    defaultBranch: "master",
    permissions: { Codertocat: "admin" },
    pulls: { 2: { sha: SHA } },
    files: { ".github/stageflow/lint.yml": WORKFLOW },
  });
  const steps = join(dir, "steps.txt");
  const reached = join(dir, "before-handle.txt");
  const payload = example("pull_request", "labeled");
  payload.label.name = "lint";
  const d = await delivery({ name: "pull_request", payload });

  const first = await startAppProcess({ dir, gh, env: { CRASH_BEFORE_HANDLE: reached } });
  expect((await send(first.port, d)).status).toBe(202);
  await until("the worker to take the delivery", () => lines(reached).includes(d.id), 20_000, first);
  await crash(first);
  // Recorded and counted, nothing done: no run, nothing written to GitHub.
  expect(inboxRow(dir, d.id)).toEqual({ status: "pending", attempts: 1 });
  expect(runs(dir)).toEqual([]);
  expect(lines(steps)).toEqual([]);
  expect(gh.writes()).toEqual([]);

  const second = await startAppProcess({ dir, gh });
  await until(
    "the check run to complete",
    () => [...gh!.checkRuns.values()].some((r) => r.conclusion !== null),
    20_000,
    second,
  );
  await until(
    "the status comment to say succeeded",
    () => statusComments(gh!).some((c) => /succeeded/.test(c.body.split("\n")[0] ?? "")),
    20_000,
    second,
  );
  // GitHub's redelivery of the same delivery after the restart is answered and starts nothing.
  expect((await send(second.port, d)).status).toBe(200);
  expect(await stop(second)).toBe(0);

  const all = runs(dir);
  expect(all.map((r) => [r.workflow, r.status, r.run_key])).toEqual([
    ["lint", "succeeded", `delivery:${d.id}:lint`],
  ]);
  expect(all[0]!.metadata).toMatchObject({ deliveryId: d.id, issue: 2, pr: true, headSha: SHA });
  expect(lines(steps)).toEqual(["check"]);
  expect(inboxRow(dir, d.id)).toEqual({ status: "done", attempts: 2 });
  const checks = [...gh.checkRuns.values()];
  expect(checks).toHaveLength(1);
  expect(checks[0]).toMatchObject({
    head_sha: SHA,
    name: "stageflow: lint",
    external_id: all[0]!.id,
    status: "completed",
    conclusion: "success",
  });
  const comments = statusComments(gh);
  expect(comments).toHaveLength(1);
  expect(comments[0]!.body).toContain(`<!-- stageflow:run:${all[0]!.id} -->`);
  expect(comments[0]!.body).toContain("1/1 steps succeeded");
  expect(gh.problems).toEqual([]);
});
