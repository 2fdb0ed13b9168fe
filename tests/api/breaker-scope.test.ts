/** Circuit breakers scoped per host key: one installation's outage opens no breaker for another. */
import { createEngine, type EngineEvent, parseWorkflow } from "stageflow";
import { FakeClock, MemoryJournal } from "stageflow/testing";
import { describe, expect, it } from "vitest";

const WORKFLOW = `
name: call
stages:
  - id: s
    steps:
      - id: call
        call: {}
        retry: { max_attempts: 5, base_delay: 10ms, max_delay: 10ms, jitter: none }
`;

function host(breakerScope?: (run: { metadata: Record<string, unknown> }) => string | undefined) {
  const journal = new MemoryJournal();
  const calls: unknown[] = [];
  /** Dependency X is down for installation 1 only. */
  const engine = createEngine({
    journal,
    clock: new FakeClock(0, { autoAdvance: true }),
    breaker: { failureThreshold: 3, resetTimeoutMs: 60_000 },
    defaultPatterns: false,
    ...(breakerScope ? { breakerScope } : {}),
  });
  engine.register("call", {
    async execute(ctx) {
      const installation = ctx.run.metadata.installation;
      calls.push(installation);
      if (installation === 1) throw new Error("X is down");
      return {};
    },
    dependency: () => "x.example.com",
  });
  const events: EngineEvent[] = [];
  engine.on((e) => events.push(e));
  const plan = parseWorkflow(WORKFLOW, { file: "call.yml", kinds: engine.kinds });
  const start = async (installation: number) =>
    (await engine.start(plan, { metadata: { installation } })).done;
  return { engine, journal, calls, events, start };
}

const breakerEvents = (events: EngineEvent[]) =>
  events.flatMap((e) =>
    e.type.startsWith("breaker.") ? [[e.type, (e.payload as { dependency: string }).dependency]] : [],
  );

describe("breakerScope", () => {
  it("opens X for installation 1 only: a run of installation 2 still calls X", async () => {
    const h = host((run) => `installation-${String(run.metadata.installation)}`);
    expect(await h.start(1)).toMatchObject({ status: "failed", reason: "retries_exhausted" });
    // Three calls opened installation 1's breaker; the other two attempts were refused uncalled.
    expect(h.calls).toEqual([1, 1, 1]);
    expect(breakerEvents(h.events)).toEqual([["breaker.opened", "installation-1/x.example.com"]]);
    expect(Object.keys(await h.journal.loadBreakers())).toEqual(["installation-1/x.example.com"]);

    expect(await h.start(2)).toMatchObject({ status: "succeeded" });
    expect(h.calls).toEqual([1, 1, 1, 2]);

    // Installation 1's next run is refused without a call.
    const again = await h.start(1);
    expect(again).toMatchObject({ status: "failed" });
    expect(again.error?.message).toMatch(/circuit for 'installation-1\/x\.example\.com' is open/);
    expect(h.calls).toEqual([1, 1, 1, 2]);
  });

  it("without a scope, the breaker is shared: installation 1's outage refuses installation 2", async () => {
    const h = host();
    await h.start(1);
    expect(breakerEvents(h.events)).toEqual([["breaker.opened", "x.example.com"]]);
    expect(await h.start(2)).toMatchObject({ status: "failed" });
    expect(h.calls).toEqual([1, 1, 1]);
  });

  it("a scope of undefined leaves that run's keys unscoped", async () => {
    const h = host((run) => (run.metadata.installation === 1 ? undefined : "other"));
    await h.start(1);
    expect(breakerEvents(h.events)).toEqual([["breaker.opened", "x.example.com"]]);
    expect(await h.start(2)).toMatchObject({ status: "succeeded" });
  });

  it("refuses a scope that is not a non-empty string before recording the run", async () => {
    const h = host(() => "");
    await expect(h.start(1)).rejects.toThrow(/breakerScope must return a non-empty string or undefined/);
    expect(await h.journal.listRuns()).toEqual([]);
  });
});
