/**
 * The app killed with SIGKILL while a run's step is running, then started again: the run resumes
 * and finishes once, its check run and status comment end completed, and no step that had
 * finished runs again (the interrupted one may: at least once).
 */
import { writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, expect, it } from "vitest";
import { type FakeGitHub, startFakeGitHub } from "../../support/fake-github.js";
import { example, SHA } from "../handlers/harness.js";
import { delivery, send } from "../intake/support.js";
import { cleanup, crash, lines, runs, startAppProcess, statusComments, stop, until } from "./support.js";

const WORKFLOW = [
  "name: build",
  "on: { labels: [build] }",
  "stages:",
  "  - id: prepare",
  "    steps:",
  "      - id: a",
  "        run: echo a >> steps.txt",
  "  - id: compile",
  "    steps:",
  "      - id: b",
  // Blocks on a file-based gate: the test kills the app while it waits.
  "        run: echo b >> steps.txt; while [ ! -f gate ]; do sleep 0.05; done",
  "  - id: publish",
  "    steps:",
  "      - id: c",
  "        run: echo c >> steps.txt",
  "",
].join("\n");

let dir: string;
let gh: FakeGitHub | undefined;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "stageflow-crash-midrun-"));
});
afterEach(async () => {
  await cleanup();
  await gh?.close();
  gh = undefined;
  await rm(dir, { recursive: true, force: true });
});

it("SIGKILL mid-run: after a restart the run finishes once, reported completed, finished steps not run again", async () => {
  gh = await startFakeGitHub({
    defaultBranch: "master",
    permissions: { Codertocat: "admin" },
    pulls: { 2: { sha: SHA } },
    files: { ".github/stageflow/build.yml": WORKFLOW },
  });
  const steps = join(dir, "steps.txt");
  const payload = example("pull_request", "labeled");
  payload.label.name = "build";
  expect(payload.pull_request.head.sha).toBe(SHA);
  const d = await delivery({ name: "pull_request", payload });

  const first = await startAppProcess({ dir, gh });
  expect((await send(first.port, d)).status).toBe(202);
  await until("step b to be running", () => lines(steps).includes("b"), 20_000, first);
  // The check run exists before the crash (in progress), so the restart must update it, not add one.
  await until("the check run to be created", () => gh!.checkRuns.size > 0, 20_000, first);
  await crash(first);
  expect(lines(steps)).toEqual(["a", "b"]);
  expect([...gh.checkRuns.values()].map((r) => r.conclusion)).toEqual([null]);
  const [interrupted] = runs(dir);
  expect(interrupted?.status).toBe("running");

  writeFileSync(join(dir, "gate"), "");
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
  expect(await stop(second)).toBe(0);

  // The run finished once.
  const all = runs(dir);
  expect(all.map((r) => [r.id, r.workflow, r.status, r.run_key])).toEqual([
    [interrupted!.id, "build", "succeeded", `delivery:${d.id}:build`],
  ]);
  // a and c ran once; b, interrupted by the crash, ran again (at least once, at most twice).
  const ran = lines(steps);
  expect(ran.filter((s) => s === "a")).toEqual(["a"]);
  expect(ran.filter((s) => s === "c")).toEqual(["c"]);
  const b = ran.filter((s) => s === "b").length;
  expect(b).toBeGreaterThanOrEqual(1);
  expect(b).toBeLessThanOrEqual(2);
  expect(ran[0]).toBe("a");
  expect(ran.at(-1)).toBe("c");

  // One check run on the PR's head, completed with success, for this run.
  const checks = [...gh.checkRuns.values()];
  expect(checks).toHaveLength(1);
  expect(checks[0]).toMatchObject({
    head_sha: SHA,
    name: "stageflow: build",
    external_id: interrupted!.id,
    status: "completed",
    conclusion: "success",
  });
  // One status comment, completed.
  const comments = statusComments(gh);
  expect(comments).toHaveLength(1);
  expect(comments[0]!.issue).toBe(2);
  expect(comments[0]!.body).toContain(`<!-- stageflow:run:${interrupted!.id} -->`);
  expect(comments[0]!.body.split("\n")[0]).toMatch(/succeeded/);
  expect(comments[0]!.body).toContain("3/3 steps succeeded");
  expect(gh.problems).toEqual([]);
});
