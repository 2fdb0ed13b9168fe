import { describe, expect, it } from "vitest";
import type { AttemptRecord, CheckpointRecord, Journal, RunRecord } from "../../src/engine/journal.js";
import { FakeClock } from "../../src/engine/testing/fake-clock.js";
import {
  AlertManager,
  type AlertNotification,
  budgetReader,
  budgetRules,
  type CostBudget,
  CostCache,
  costOf,
  journalCostReader,
  loadRunCost,
  workflowCosts,
} from "../../src/observe/index.js";
import { MemoryJournal } from "../../src/store/memory/journal.js";
import { newRun } from "../../src/testing/contract/builders.js";

const MIN = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const T0 = Date.UTC(2026, 11, 1);

const DEFINITION = {
  name: "release",
  stages: [
    {
      id: "ship",
      steps: [
        { id: "label", github: "issues.addLabels", with: { labels: ["shipped"] } },
        { id: "ping", http: "https://hooks.example.test/ship" },
        { id: "e2e", dispatch: { workflow: "e2e.yml", ref: "main" } },
        { id: "docs", dispatch: "docs.yml" },
        { id: "build", run: "make" },
      ],
    },
  ],
};

function run(id: string, extra: Partial<RunRecord> = {}): RunRecord {
  return {
    id,
    workflow: "release",
    definition: DEFINITION,
    definitionHash: "h",
    source: null,
    trigger: { kind: "manual" } as unknown as RunRecord["trigger"],
    correlationId: `c-${id}`,
    inputs: {},
    key: null,
    metadata: {},
    status: "succeeded",
    reason: null,
    error: null,
    leaseOwner: null,
    leaseExpiresAt: null,
    cancelRequested: false,
    createdAt: T0,
    updatedAt: T0,
    finishedAt: T0,
    ...extra,
  };
}

type A = Pick<AttemptRecord, "stepId" | "attempt" | "startedAt"> & Partial<AttemptRecord>;
const attempt = (a: A): AttemptRecord => ({
  runId: "r1",
  stageId: "ship",
  status: "succeeded",
  reason: "succeeded",
  finishedAt: a.startedAt + 1000,
  outputs: {},
  error: null,
  decision: null,
  ...a,
});

describe("costOf (derived from the journal's attempts and the stored definition)", () => {
  it.each([
    {
      name: "github: one call per attempt, retries included",
      attempts: [
        attempt({
          stepId: "label",
          attempt: 1,
          startedAt: T0,
          status: "failed",
          reason: "retries_exhausted",
        }),
        attempt({ stepId: "label", attempt: 2, startedAt: T0 + 5000 }),
      ],
      units: { github_api_calls: 2, runner_minutes: 0, http_calls: 0 },
    },
    {
      name: "http: one call per attempt; an attempt refused for its input sends nothing",
      attempts: [
        attempt({ stepId: "ping", attempt: 1, startedAt: T0, status: "failed", reason: "invalid_input" }),
        attempt({
          stepId: "ping",
          attempt: 2,
          startedAt: T0 + 1,
          status: "failed",
          reason: "http_5xx" as never,
        }),
        attempt({ stepId: "ping", attempt: 3, startedAt: T0 + 2 }),
      ],
      units: { github_api_calls: 0, runner_minutes: 0, http_calls: 2 },
    },
    {
      name: "dispatch: runner minutes from the workflow run's times, one call per execution",
      attempts: [
        attempt({
          stepId: "e2e",
          attempt: 1,
          startedAt: T0,
          status: "cancelled",
          reason: "parked",
          outputs: null,
        }),
        attempt({
          stepId: "e2e",
          attempt: 2,
          startedAt: T0 + HOUR,
          outputs: {
            conclusion: "success",
            run_started_at: "2026-12-01T00:01:00Z",
            run_updated_at: "2026-12-01T00:13:30Z",
          },
        }),
      ],
      units: { github_api_calls: 2, runner_minutes: 12.5, http_calls: 0 },
    },
    {
      name: "dispatch without the workflow run's times: the waited time; no ref: one more call for the default branch",
      attempts: [
        attempt({
          stepId: "docs",
          attempt: 1,
          startedAt: T0,
          status: "cancelled",
          reason: "parked",
          outputs: null,
        }),
        attempt({ stepId: "docs", attempt: 2, startedAt: T0 + 29 * MIN, finishedAt: T0 + 30 * MIN }),
      ],
      units: { github_api_calls: 3, runner_minutes: 30, http_calls: 0 },
    },
    {
      name: "run: no unit",
      attempts: [attempt({ stepId: "build", attempt: 1, startedAt: T0 })],
      units: { github_api_calls: 0, runner_minutes: 0, http_calls: 0 },
    },
  ])("$name", ({ attempts, units }) => {
    expect(costOf(run("r1"), attempts).units).toEqual(units);
  });

  it("reads the waited time from the step's checkpoint, and the default branch from the run's metadata", () => {
    const attempts = [
      attempt({ stepId: "docs", attempt: 1, startedAt: T0 + MIN, status: "failed", reason: "x" as never }),
    ];
    const cp = {
      stepId: "docs",
      startedAt: T0,
      finishedAt: T0 + 90 * MIN,
      outputs: {},
    } as unknown as CheckpointRecord;
    const cost = costOf(run("r1", { metadata: { defaultBranch: "main" } }), attempts, [cp]);
    expect(cost.units).toEqual({ github_api_calls: 1, runner_minutes: 90, http_calls: 0 });
    expect(cost.steps).toEqual([
      expect.objectContaining({ stepId: "docs", kind: "dispatch", attempts: 1, runnerSource: "waited" }),
    ]);
    expect(cost.charges.find((c) => c.unit === "runner_minutes")?.at).toBe(T0 + 90 * MIN);
    // The run's default branch is not another repository's: the step reads that one.
    const other = {
      ...DEFINITION,
      stages: [{ id: "ship", steps: [{ id: "docs", dispatch: { workflow: "d.yml", repo: "o/other" } }] }],
    };
    const metadata = { owner: "o", repo: "r", defaultBranch: "main" };
    expect(costOf(run("r1", { definition: other, metadata }), attempts, [cp]).units.github_api_calls).toBe(2);
  });
});

/** A run of `release` at `at` with `calls` github attempts, one http call and a 10-minute dispatch. */
async function addRun(journal: Journal, id: string, at: number, calls: number): Promise<void> {
  await journal.createRun(newRun(id, { workflow: "release", definition: DEFINITION, createdAt: at }), []);
  const steps: Array<[string, number, Record<string, unknown>]> = [
    ...Array.from({ length: calls }, (_, i): [string, number, Record<string, unknown>] => [
      "label",
      i + 1,
      {},
    ]),
    ["ping", 1, {}],
    [
      "e2e",
      1,
      { run_started_at: new Date(at).toISOString(), run_updated_at: new Date(at + 10 * MIN).toISOString() },
    ],
  ];
  for (const [stepId, n, outputs] of steps) {
    await journal.startAttempt({ runId: id, stageId: "ship", stepId, attempt: n, startedAt: at + n }, []);
    const last = stepId !== "label" || n === calls;
    await journal.finishAttempt(
      {
        runId: id,
        stepId,
        attempt: n,
        status: last ? "succeeded" : "failed",
        reason: last ? "succeeded" : ("retries_exhausted" as never),
        finishedAt: at + 10 * MIN,
        outputs,
      },
      null,
      [],
    );
  }
}

describe("workflow costs from the journal", () => {
  it("sums the charges of a window; a run's cost survives a new reader (it is derived from the journal)", async () => {
    const journal = new MemoryJournal();
    await addRun(journal, "r1", T0, 3);
    await addRun(journal, "r2", T0 + 2 * DAY, 1);
    expect((await loadRunCost(journal, "r1"))?.units).toEqual({
      github_api_calls: 4,
      runner_minutes: 10,
      http_calls: 1,
    });
    expect(await loadRunCost(journal, "nope")).toBeUndefined();
    expect(await workflowCosts(journal, { workflow: "release", sinceMs: T0 + DAY })).toMatchObject({
      runs: 1,
      units: { github_api_calls: 2, runner_minutes: 10, http_calls: 1 },
    });
    expect(
      (await workflowCosts(journal, { workflow: "release", sinceMs: T0, untilMs: T0 + 3 * DAY })).units,
    ).toEqual({ github_api_calls: 6, runner_minutes: 20, http_calls: 2 });
    expect((await workflowCosts(journal, { workflow: "other", sinceMs: T0 })).runs).toBe(0);
  });

  it("reads a finished run once while its record does not change (the cache of a cost reader)", async () => {
    const journal = new MemoryJournal();
    await addRun(journal, "r1", T0, 1);
    await journal.updateRun("r1", { status: "succeeded", finishedAt: T0 + HOUR, updatedAt: T0 + HOUR }, []);
    await addRun(journal, "r2", T0, 1); // still running: read every time
    let reads = 0;
    const counting = Object.create(journal) as Journal;
    counting.listAttempts = (runId) => (reads++, journal.listAttempts(runId));
    const cache = new CostCache();
    const query = { workflow: "release", sinceMs: T0, cache };
    expect((await workflowCosts(counting, query)).units.github_api_calls).toBe(4);
    expect(reads).toBe(2);
    expect((await workflowCosts(counting, query)).units.github_api_calls).toBe(4);
    expect(reads).toBe(3);
    expect(cache.size).toBe(1);
    // A finished run whose record changes is read again.
    await journal.updateRun("r1", { status: "failed", updatedAt: T0 + 2 * HOUR }, []);
    await workflowCosts(counting, query);
    expect(reads).toBe(5);
  });

  it("fires a workflow's budget when its runs pass the threshold, and resolves as they leave the period", async () => {
    const clock = new FakeClock(T0);
    const journal = new MemoryJournal();
    const budgets: CostBudget[] = [
      { workflow: "release", unit: "github_api_calls", limit: 20, periodMs: DAY, alertAt: 0.5 },
      { workflow: "release", unit: "runner_minutes", limit: 100, periodMs: DAY },
    ];
    const sent: AlertNotification[] = [];
    const manager = new AlertManager({
      rules: budgetRules(budgets),
      read: budgetReader(budgets, journalCostReader(journal)),
      clock,
      sink: {
        deliver: async (n, channels) => (
          sent.push(n),
          channels.map((channel) => ({ channel, ok: true, attempts: 1 }))
        ),
      },
    });
    // 3 runs of 3 calls each (9 of 20: under half) and 30 runner minutes.
    for (let i = 0; i < 3; i++) await addRun(journal, `a${i}`, T0 + i * HOUR, 2);
    await clock.advance(4 * HOUR);
    await manager.evaluate();
    expect(sent).toEqual([]);
    // A fourth: 12 calls of 20 > 50%.
    await addRun(journal, "a3", clock.now(), 2);
    await clock.advance(HOUR);
    await manager.evaluate();
    expect(sent.map((n) => [n.status, n.rule, n.alerts[0]?.value])).toEqual([
      ["firing", "cost_budget:release:github_api_calls", 0.6],
    ]);
    // A day later the runs have left the period.
    await clock.advance(DAY);
    await manager.evaluate();
    expect(sent.map((n) => [n.status, n.rule])).toEqual([
      ["firing", "cost_budget:release:github_api_calls"],
      ["resolved", "cost_budget:release:github_api_calls"],
    ]);
  });
});
