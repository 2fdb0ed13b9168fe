import { parseWorkflow } from "stageflow";
import { createSqliteJournal } from "stageflow/sqlite";
import { describe, expect, it } from "vitest";
import { engineOn } from "./helpers.js";

const RUNS = 10_000;

describe("many parked runs", () => {
  it(`parks ${RUNS} runs waiting for a signal and wakes every one of them with it`, async () => {
    const journal = createSqliteJournal({ path: ":memory:" });
    const { engine } = engineOn({ journal });
    let reached = 0;
    engine.register("after", async (ctx) => {
      if (ctx.with.payload === ctx.runId) reached++;
      return {};
    });
    const plan = parseWorkflow(
      `name: many\nstages:\n  - id: gate\n    steps: [{ id: approve, signal: approval }]\n` +
        `  - id: next\n    steps: [{ id: go, after: {}, with: { payload: "\${{ steps.approve.outputs.payload }}" } }]\n`,
      { file: "many.yml", kinds: engine.kinds },
    );
    let parked = 0;
    let succeeded = 0;
    let allParked!: () => void;
    let allDone!: () => void;
    const parkedAll = new Promise<void>((r) => (allParked = r));
    const doneAll = new Promise<void>((r) => (allDone = r));
    engine.on((e) => {
      if (e.type === "run.parked" && ++parked === RUNS) allParked();
      if (e.type === "run.succeeded" && ++succeeded === RUNS) allDone();
    });
    const ids: string[] = [];
    for (let i = 0; i < RUNS; i++) ids.push((await engine.start(plan)).runId);
    await parkedAll;
    expect((await journal.listParked()).length).toBe(RUNS);
    expect(reached).toBe(0);
    await Promise.all(ids.map((id) => engine.signal(id, "approval", id)));
    await doneAll;
    expect(reached).toBe(RUNS);
    expect(await journal.listParked()).toEqual([]);
    await engine.close();
    await journal.close();
  }, 120_000);
});
