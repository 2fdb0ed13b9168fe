/** Per-run services: a kind's `forRun(run)` makes the handler that executes that run's steps. */
import { createEngine, parseWorkflow, type RunInfo, type StepHandler } from "stageflow";
import { FakeClock, MemoryJournal } from "stageflow/testing";
import { describe, expect, it } from "vitest";

/** What the App would make per run: a client for the run's installation. */
class Client {
  readonly calls: string[] = [];
  constructor(readonly installation: unknown) {}
}

const WORKFLOW = `
name: comment
stages:
  - id: s
    steps:
      - id: first
        github: { say: one }
      - id: second
        github: { say: two }
        retry: { max_attempts: 2, base_delay: 1ms, jitter: none }
`;

function host() {
  const made: Array<{ run: RunInfo; client: Client }> = [];
  const failOnce = new Set<string>();
  const github: StepHandler = {
    execute: () => Promise.reject(new Error("the registered handler never executes a run's step")),
    validate: (config) =>
      typeof (config as { say?: unknown })?.say === "string" ? [] : [["say", "must be a string"]],
    dependency: () => "api.github.com",
    forRun(run) {
      const client = new Client(run.metadata.installation);
      made.push({ run, client });
      return async (ctx) => {
        const { say } = ctx.config as { say: string };
        client.calls.push(`${ctx.run.id}:${ctx.stepId}:${say}`);
        if (ctx.stepId === "second" && !failOnce.has(ctx.run.id)) {
          failOnce.add(ctx.run.id);
          throw new Error("503 from GitHub");
        }
        return { installation: client.installation };
      };
    },
  };
  const engine = createEngine({
    journal: new MemoryJournal(),
    clock: new FakeClock(0, { autoAdvance: true }),
  });
  engine.register("github", github);
  const plan = parseWorkflow(WORKFLOW, { file: "comment.yml", kinds: engine.kinds });
  return { engine, plan, made };
}

describe("per-run handlers (forRun)", () => {
  it("makes one handler per run from its metadata; every step of the run uses its own", async () => {
    const { engine, plan, made } = host();
    const [a, b] = await Promise.all([
      engine.start(plan, { metadata: { installation: 1 } }),
      engine.start(plan, { metadata: { installation: 2 } }),
    ]);
    expect(await a?.done).toMatchObject({ status: "succeeded" });
    expect(await b?.done).toMatchObject({ status: "succeeded" });
    // Once per run, although each run executed three attempts of the kind (one retried).
    expect(made.map((m) => [m.run.id, m.client.installation])).toEqual([
      [a?.runId, 1],
      [b?.runId, 2],
    ]);
    const clientOf = (runId?: string) => made.find((m) => m.run.id === runId)?.client;
    expect(clientOf(a?.runId)?.calls).toEqual([
      `${a?.runId}:first:one`,
      `${a?.runId}:second:two`,
      `${a?.runId}:second:two`,
    ]);
    expect(clientOf(b?.runId)?.calls).toEqual([
      `${b?.runId}:first:one`,
      `${b?.runId}:second:two`,
      `${b?.runId}:second:two`,
    ]);
    const report = await engine.report(b?.runId ?? "");
    expect(report.stages[0]?.steps.map((s) => s.outputs)).toEqual([{ installation: 2 }, { installation: 2 }]);
  });

  it("keeps the static parts on the registered handler: validate is used before any run", () => {
    const { engine } = host();
    expect(() =>
      parseWorkflow("name: w\nstages: [{ id: s, steps: [{ id: x, github: { say: 1 } }] }]\n", {
        file: "w.yml",
        kinds: engine.kinds,
      }),
    ).toThrow(/say: must be a string/);
  });

  it("a forRun that throws fails the attempt (recovery applies) and is asked again next attempt", async () => {
    const calls: number[] = [];
    const engine = createEngine({
      journal: new MemoryJournal(),
      clock: new FakeClock(0, { autoAdvance: true }),
    });
    engine.register("flaky", {
      execute: () => Promise.reject(new Error("unused")),
      forRun(run) {
        calls.push(run.metadata.n as number);
        if (calls.length === 1) throw new Error("could not get an installation token");
        return async () => ({ ok: true });
      },
    });
    const plan = parseWorkflow(
      "name: w\nstages: [{ id: s, steps: [{ id: x, flaky: {}, retry: { max_attempts: 2, base_delay: 1ms, jitter: none } }] }]\n",
      { file: "w.yml", kinds: engine.kinds },
    );
    const { runId, done } = await engine.start(plan, { metadata: { n: 5 } });
    expect(await done).toMatchObject({ status: "succeeded" });
    expect(calls).toEqual([5, 5]);
    const attempts = await engine.report(runId);
    expect(attempts.attempts.map((a) => [a.status, a.error?.message ?? null])).toEqual([
      ["failed", "could not get an installation token"],
      ["succeeded", null],
    ]);
  });

  it("makes the handler again when the run executes again (a resume)", async () => {
    const made: string[] = [];
    let fail = true;
    const engine = createEngine({ journal: new MemoryJournal(), clock: new FakeClock() });
    engine.register("once", {
      execute: () => Promise.reject(new Error("unused")),
      forRun(run) {
        made.push(run.id);
        return async () => {
          if (fail) throw new Error("down");
          return {};
        };
      },
    });
    const plan = parseWorkflow("name: w\nstages: [{ id: s, steps: [{ id: x, once: {} }] }]\n", {
      file: "w.yml",
      kinds: engine.kinds,
    });
    const { runId, done } = await engine.start(plan, { metadata: {} });
    expect(await done).toMatchObject({ status: "failed" });
    fail = false;
    expect(await (await engine.resume(runId)).done).toMatchObject({ status: "succeeded" });
    expect(made).toEqual([runId, runId]);
  });
});

describe("per-run handlers and orphans", () => {
  it("a resume stops a dead owner's orphan with the handler made for that run", async () => {
    const journal = new MemoryJournal();
    const stopped: Array<[string, unknown]> = [];
    let recorded!: () => void;
    const processRecorded = new Promise<void>((resolve) => (recorded = resolve));
    const kind = (hang: boolean): StepHandler => ({
      execute: () => Promise.reject(new Error("unused")),
      forRun: (run) => ({
        async execute(ctx) {
          await ctx.recordProcess({ pid: 4242, for: ctx.run.metadata.installation });
          recorded();
          if (hang) {
            await new Promise((_, reject) =>
              ctx.signal.addEventListener("abort", () => reject(ctx.signal.reason)),
            );
          }
          return {};
        },
        async stopOrphan(process) {
          stopped.push([run.id, process]);
        },
      }),
    });
    const yaml = "name: w\nstages: [{ id: s, steps: [{ id: x, proc: {} }] }]\n";
    const a = createEngine({ journal, clock: new FakeClock(), owner: "a" });
    a.register("proc", kind(true));
    const plan = parseWorkflow(yaml, { file: "w.yml", kinds: a.kinds });
    const { runId, done } = await a.start(plan, { metadata: { installation: 9 } });
    await processRecorded;

    // Another process finds owner "a" dead and takes the run over.
    const b = createEngine({ journal, clock: new FakeClock(), owner: "b", isOwnerAlive: (o) => o !== "a" });
    b.register("proc", kind(false));
    const resumed = await b.resume(runId);
    expect(await resumed.done).toMatchObject({ status: "succeeded" });
    expect(stopped).toEqual([[runId, { pid: 4242, for: 9 }]]);
    await a.close();
    await done;
  });
});
