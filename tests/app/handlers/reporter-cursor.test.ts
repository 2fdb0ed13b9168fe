/**
 * The reporter's event cursor across a crash: it never passes the first event of a write still in
 * flight. The GitHub side is a port double that can hang a write (the process dies mid-request);
 * what GitHub shows is kept per run.
 */
import { expect, it } from "vitest";
import { createEngine, parseWorkflow, type StepContext } from "stageflow";
import { FakeClock, MemoryJournal } from "stageflow/testing";
import type { GitHubPort, RendererPort } from "../../../src/app/handlers/deps.js";
import { createReporter } from "../../../src/app/handlers/reporter.js";
import { memoryStore } from "./doubles.js";
import { LABELLED } from "./workflows.js";

/** Turns the event loop (never the clock). */
const turn = async (n = 200) => {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
};

it("never saves the cursor past a write still in flight: after a crash mid-write, the finished run's check run is completed", async () => {
  const clock = new FakeClock(Date.UTC(2026, 0, 1));
  const engine = createEngine({ journal: new MemoryJournal(), clock, defaultPatterns: false, owner: "test" });
  engine.register("work", async (_ctx: StepContext) => ({ done: true }));
  const planA = parseWorkflow(LABELLED, { file: "a.yml", kinds: engine.kinds });
  const planB = parseWorkflow(LABELLED.replace("name: triage", "name: other"), {
    file: "b.yml",
    kinds: engine.kinds,
  });
  const store = memoryStore();
  const renderer: RendererPort = {
    runView: (report) => report,
    checkRunOutput: async () => ({ title: "t", summary: "s", annotations: [], warnings: [] }),
    commentBody: async () => "b",
    render: async () => ({ text: "" }),
  };
  /** What GitHub shows of each run's check run: `status/conclusion`. */
  const shown = new Map<string, string>();
  let hangCompletedOf: string | null = null;
  let hung = 0;
  const github = {
    ownCommentBy: () => () => true,
    markerFor: (id: string) => `<!-- ${id} -->`,
    upsertCheckRun: async (_client: unknown, o: { runId: string; status: string; conclusion?: string }) => {
      if (o.runId === hangCompletedOf && o.status === "completed") {
        hung++;
        await new Promise(() => {}); // the process dies during this request
      }
      shown.set(o.runId, `${o.status}/${o.conclusion ?? ""}`);
      return { id: 1, created: false };
    },
    upsertComment: async () => ({ id: 2, created: false }),
    isRateLimited: () => undefined,
  } as unknown as GitHubPort;
  const newReporter = () =>
    createReporter({
      engine,
      store,
      github,
      renderer,
      clock,
      clientFor: async () => ({}) as never,
      appSlug: "stageflow",
      minIntervalMs: 1000,
    });
  const target = (runId: string, issueNumber: number) => ({
    runId,
    installationId: 1,
    owner: "o",
    repo: "r",
    issueNumber,
    headSha: "abc",
    checkRunId: null,
    commentId: null,
  });
  const seqsOf = new Map<string, number[]>();
  engine.on((e) => {
    if (e.runId) seqsOf.set(e.runId, [...(seqsOf.get(e.runId) ?? []), e.seq]);
  });

  const first = newReporter();
  await first.start();
  const a = await engine.start(planA, { metadata: { owner: "o", repo: "r", issue: 1 } });
  hangCompletedOf = a.runId;
  await store.saveReportTarget(target(a.runId, 1));
  first.track(a.runId);
  await a.done;
  await turn(); // A's first write (in progress) is done; its final state waits for the interval
  await clock.advance(1000);
  await turn();
  expect(hung).toBe(1); // A's final write is in flight, and stays so

  // Run B starts and finishes; its writes succeed and save the cursor.
  const b = await engine.start(planB, { metadata: { owner: "o", repo: "r", issue: 2 } });
  await store.saveReportTarget(target(b.runId, 2));
  first.track(b.runId);
  await b.done;
  await turn();
  await clock.advance(1000); // B's final state, after the interval
  await turn();
  expect(shown.get(b.runId)).toBe("completed/success");
  expect(shown.get(a.runId)).toBe("in_progress/");
  expect(await store.cursor("reporter")).toBeLessThan(Math.max(...seqsOf.get(a.runId)!));

  // The process dies (the first reporter is dropped as it is); a new one starts.
  hangCompletedOf = null;
  const again = newReporter();
  await again.start();
  await again.flush();
  expect(shown.get(a.runId)).toBe("completed/success");
  await again.close();
  await engine.close();
});
