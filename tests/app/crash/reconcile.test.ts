/**
 * Deliveries that failed while the app was down (GitHub lists them with status code 0 or 502) are
 * asked again by the reconciler when the app starts; the loopback GitHub then sends each again,
 * signed, with the same guid, as GitHub does: each starts exactly one run, and a later pass (after
 * a restart) asks for nothing more.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, expect, it } from "vitest";
import { type FakeGitHub, type FakeHookDelivery, startFakeGitHub } from "../../support/fake-github.js";
import { labeled } from "../handlers/harness.js";
import { type Answer, type Delivery, delivery, send } from "../intake/support.js";
import { cleanup, inboxRow, lines, runs, startAppProcess, statusComments, stop, until } from "./support.js";

const WORKFLOW = [
  "name: triage",
  "on: { labels: [triage] }",
  "stages:",
  "  - id: only",
  "    steps:",
  "      - id: sort",
  "        run: echo sort >> steps.txt",
  "",
].join("\n");

let dir: string;
let gh: FakeGitHub | undefined;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "stageflow-crash-reconcile-"));
});
afterEach(async () => {
  await cleanup();
  await gh?.close();
  gh = undefined;
  await rm(dir, { recursive: true, force: true });
});

it("deliveries that failed while the app was down are redelivered through the reconciler and start one run each", async () => {
  const down = await delivery({ name: "issues", payload: labeled("triage") }); // no answer: status 0
  const broken = await delivery({ name: "issues", payload: labeled("triage") }); // answered 502
  const fine = await delivery({ name: "issues", payload: labeled("triage") }); // answered 202 elsewhere
  const byGuid = new Map<string, Delivery>([down, broken, fine].map((d) => [d.id, d]));

  // GitHub sends a redelivery to the app once it is asked for it (and lists it, with the answer).
  const listening: { port?: number } = {};
  const answers: Array<{ guid: string; answer: Answer }> = [];
  const failures: unknown[] = [];
  const redeliver = async (listed: FakeHookDelivery | undefined) => {
    const d = listed && byGuid.get(listed.guid);
    if (!listed || !d) throw new Error(`redelivery of an unknown delivery ${JSON.stringify(listed)}`);
    await until("the app's port", () => listening.port !== undefined);
    const answer = await send(listening.port!, d);
    answers.push({ guid: d.id, answer });
    gh!.hookDeliveries.push({
      ...listed,
      id: 900 + gh!.hookDeliveries.length,
      status_code: answer.status,
      delivered_at: new Date().toISOString(),
      redelivery: true,
    });
  };
  gh = await startFakeGitHub({
    defaultBranch: "master",
    permissions: { Codertocat: "admin" },
    files: { ".github/stageflow/triage.yml": WORKFLOW },
    onRedeliver: (listed) => void redeliver(listed).catch((e: unknown) => failures.push(e)),
  });
  const ago = (ms: number) => new Date(Date.now() - ms).toISOString();
  const listed = (id: number, d: Delivery, status_code: number, at: string): FakeHookDelivery => ({
    id,
    guid: d.id,
    status_code,
    delivered_at: at,
    event: "issues",
    action: "labeled",
    redelivery: false,
  });
  gh.hookDeliveries.push(
    listed(501, down, 0, ago(120_000)),
    listed(502, broken, 502, ago(90_000)),
    listed(503, fine, 202, ago(60_000)),
  );

  const steps = join(dir, "steps.txt");
  const env = { STAGEFLOW_RECONCILE_MINUTES: "10" };
  const first = await startAppProcess({ dir, gh, env });
  listening.port = first.port;
  await until(
    "the two runs to be reported succeeded",
    () => statusComments(gh!).filter((c) => /succeeded/.test(c.body.split("\n")[0] ?? "")).length >= 2,
    20_000,
    first,
  );
  expect(await stop(first)).toBe(0);
  expect(failures).toEqual([]);

  // Asked once for each failed delivery (not for the one answered 2xx); each redelivery accepted.
  expect([...gh.redeliveries].sort()).toEqual([501, 502]);
  expect(answers.map((a) => [a.guid, a.answer.status]).sort()).toEqual(
    [
      [down.id, 202],
      [broken.id, 202],
    ].sort(),
  );
  // One run per redelivered delivery, keyed by its guid, succeeded; nothing for the 2xx one.
  const all = runs(dir);
  expect(all.map((r) => [r.run_key, r.workflow, r.status]).sort()).toEqual(
    [
      [`delivery:${down.id}:triage`, "triage", "succeeded"],
      [`delivery:${broken.id}:triage`, "triage", "succeeded"],
    ].sort(),
  );
  expect(lines(steps)).toEqual(["sort", "sort"]);
  expect(inboxRow(dir, down.id)).toEqual({ status: "done", attempts: 1 });
  expect(inboxRow(dir, broken.id)).toEqual({ status: "done", attempts: 1 });
  expect(inboxRow(dir, fine.id)).toBeUndefined();
  const comments = statusComments(gh);
  expect(comments).toHaveLength(2);
  for (const run of all)
    expect(comments.filter((c) => c.body.includes(`<!-- stageflow:run:${run.id} -->`))).toHaveLength(1);

  // Another pass (the one at the next start) asks for nothing more.
  const listings = () => gh!.requests.filter((r) => r.operation === "apps/list-webhook-deliveries").length;
  const before = listings();
  expect(before).toBeGreaterThan(0);
  const second = await startAppProcess({ dir, gh, env });
  await until("the reconciler to list the deliveries again", () => listings() > before, 20_000, second);
  expect(await stop(second)).toBe(0); // close waits for the pass in progress
  expect([...gh.redeliveries].sort()).toEqual([501, 502]);
  expect(runs(dir)).toHaveLength(2);
  expect(lines(steps)).toEqual(["sort", "sort"]);
  expect(failures).toEqual([]);
  expect(gh.problems).toEqual([]);
});
