/**
 * Concurrent resume, with real processes on one SQLite file: runs whose owner died are resumed by
 * two processes at the same moment, many rounds over. Taking a run over is one compare-and-set in
 * the journal, so exactly one process executes each run; the other is refused (`run_busy`), or
 * finds the run finished. Asserted over every round: no step executed twice, no terminal event
 * (run.succeeded, ...) recorded twice, every run succeeded.
 *
 * Two long-lived fixture processes (tests/fixtures/ownership/resumer.ts) play the rounds, each
 * also racing itself (every id resumed twice, two resumeAll at once); one last round is played by
 * two real `stageflow` processes (`resume --all` and `resume RUN`).
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseWorkflow } from "../../src/engine/definition/index.js";
import type { WorkflowPlan } from "../../src/engine/definition/plan.js";
import { uuidv7 } from "../../src/engine/ids.js";
import type { Journal } from "../../src/engine/journal.js";
import { builtinSteps } from "../../src/steps/index.js";
import { createSqliteJournal } from "../../src/store/index.js";
import { cleanEnv, cli, node, ROOT } from "./ownership-processes.js";

const RESUMER = join(ROOT, "tests/fixtures/ownership/resumer.ts");
const STEPS = ["a", "b", "c"];
/** Rounds played by the fixtures: at least MIN, then until ROUND_BUDGET_MS has passed (at most MAX). */
const MIN_ROUNDS = 6;
const MAX_ROUNDS = 40;
const ROUND_BUDGET_MS = 5_000;
const RUNS_PER_ROUND = 4;

const MARK_WORKFLOW = `
name: race
stages:
  - id: one
    mode: parallel
    steps:
      - { id: a, mark: {} }
      - { id: b, mark: {} }
  - id: two
    steps:
      - { id: c, mark: {} }
`;

const RUN_WORKFLOW = `
name: race-cli
stages:
  - id: one
    mode: parallel
    steps:
${STEPS.map((s) => `      - id: ${s}\n        run: echo "$STAGEFLOW_RUN_ID ${s} $PPID $STAGEFLOW_ATTEMPT" >> "$MARK_LOG"`).join("\n")}
`;

type Flavour = "dead" | "expired" | "failed";

/** A pid that existed and is gone (reaped): what the CLI's liveness probe sees for a killed owner. */
const DEAD_PID = (() => {
  const pid = spawnSync("true").pid;
  if (!pid) throw new Error("could not start a process");
  return pid;
})();

/**
 * Records a run as a process that died leaves it: `running` and leased to an owner on this host
 * whose pid is gone (lease unexpired), or to another host's owner whose lease expired; or a run
 * that `failed` (lease released).
 */
async function orphan(
  journal: Journal,
  plan: WorkflowPlan,
  flavour: Flavour,
  source?: string,
): Promise<string> {
  const id = uuidv7(Date.now()) + Math.random().toString(16).slice(2, 6);
  const now = Date.now();
  const lease =
    flavour === "expired"
      ? { owner: "elsewhere/1/gone00", expiresAt: now - 1_000 }
      : { owner: `${hostname()}/${DEAD_PID}/${id.slice(-6)}`, expiresAt: now + 60_000 };
  await journal.createRun(
    {
      id,
      workflow: plan.name,
      definition: plan.definition,
      definitionHash: plan.hash,
      ...(source ? { source } : {}),
      trigger: { kind: "api" },
      correlationId: id,
      inputs: {},
      createdAt: now,
      lease,
    },
    [],
  );
  if (flavour === "failed") {
    await journal.updateRun(
      id,
      { status: "failed", reason: "failed", finishedAt: now, updatedAt: now, releaseLeaseOf: lease.owner },
      [],
    );
  }
  return id;
}

interface Outcome {
  id?: string;
  status?: string;
  refused?: string;
  message?: string;
}

/** Executions per `run step` key, from the marker log. */
function executions(log: string): Map<string, string[]> {
  const byStep = new Map<string, string[]>();
  if (!existsSync(log)) return byStep;
  for (const line of readFileSync(log, "utf8").split("\n").filter(Boolean)) {
    const [runId, stepId, pid, attempt] = line.split(" ");
    const key = `${runId} ${stepId}`;
    byStep.set(key, [...(byStep.get(key) ?? []), `pid ${pid} attempt ${attempt}`]);
  }
  return byStep;
}

/** Every way the journal and the log could show a run executed twice (empty when none). */
async function doubles(journal: Journal, runIds: string[], log: string): Promise<string[]> {
  const ran = executions(log);
  const problems: string[] = [];
  for (const runId of runIds) {
    for (const step of STEPS) {
      const seen = ran.get(`${runId} ${step}`) ?? [];
      if (seen.length !== 1)
        problems.push(`run ${runId} step ${step} executed ${seen.length}x: ${seen.join(", ")}`);
    }
    const events = await journal.listEvents(runId);
    const terminal = events.filter((e) => /^run\.(succeeded|failed|cancelled|degraded)$/.test(e.type));
    if (terminal.length !== 1)
      problems.push(`run ${runId}: ${terminal.map((e) => e.type).join(", ") || "no end"}`);
    const resumed = events.filter((e) => e.type === "run.resumed").length;
    if (resumed !== 1) problems.push(`run ${runId} resumed ${resumed}x`);
    const status = (await journal.getRun(runId))?.status;
    if (status !== "succeeded") problems.push(`run ${runId} ended ${status}`);
  }
  return problems;
}

/** A refusal that is allowed: the other process holds the run, or finished it a moment ago. */
const fairRefusal = (o: Outcome) => o.refused === "run_busy" || o.refused === "run_finished";

describe("concurrent resume (real processes, one SQLite file)", () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  const tempDir = () => {
    const dir = mkdtempSync(join(tmpdir(), "stageflow-race-"));
    dirs.push(dir);
    return dir;
  };

  it("two processes resuming the same runs, round after round, never execute a step twice", async () => {
    const dir = tempDir();
    const db = join(dir, "state.db");
    const log = join(dir, "marks.log");
    const journal = createSqliteJournal({ path: db });
    const kinds = new Map([["mark", { execute: async () => ({}) }]]);
    const plan = parseWorkflow(MARK_WORKFLOW, { file: "race.yml", kinds });
    const env = cleanEnv({ MARK_LOG: log });
    const procs = [node([RESUMER, db], dir, env), node([RESUMER, db], dir, env)];
    try {
      for (const p of procs) expect(await p.line()).toMatch(/^READY \d+$/);
      const all: string[] = [];
      const outcomes: Outcome[] = [];
      const started = Date.now();
      for (let round = 0; round < MAX_ROUNDS; round++) {
        if (round >= MIN_ROUNDS && Date.now() - started > ROUND_BUDGET_MS) break;
        const byIds = round % 2 === 0;
        const flavours: Flavour[] = byIds
          ? ["dead", "expired", "failed", "dead"]
          : ["dead", "expired", "dead", "expired"];
        const ids: string[] = [];
        for (const f of flavours.slice(0, RUNS_PER_ROUND)) ids.push(await orphan(journal, plan, f));
        all.push(...ids);
        const command = `${JSON.stringify(byIds ? { round, ids } : { round, all: true })}\n`;
        for (const p of procs) p.child.stdin.write(command);
        for (const p of procs) {
          const answer = JSON.parse(await p.line()) as { round: number; outcomes: Outcome[] };
          expect(answer.round).toBe(round);
          outcomes.push(...answer.outcomes);
        }
      }
      expect(await doubles(journal, all, log)).toEqual([]);
      // Each run was executed by exactly one process; every other attempt to take it was refused fairly.
      const executed = outcomes.filter((o) => o.status !== undefined);
      expect(executed.map((o) => o.id).sort()).toEqual([...all].sort());
      expect(outcomes.filter((o) => o.status === undefined && !fairRefusal(o))).toEqual([]);
      expect(outcomes.some((o) => o.refused === "run_busy")).toBe(true);
    } finally {
      for (const p of procs) p.child.stdin.end();
      await Promise.all(procs.map((p) => p.exit));
      await journal.close();
    }
  }, 40_000);

  it("`stageflow resume --all` and `stageflow resume RUN` at once run each run once", async () => {
    const dir = tempDir();
    const db = join(dir, "state.db");
    const log = join(dir, "marks.log");
    const file = join(dir, "race-cli.yml");
    writeFileSync(file, RUN_WORKFLOW);
    const journal = createSqliteJournal({ path: db });
    const plan = parseWorkflow(RUN_WORKFLOW, {
      file,
      kinds: new Map(Object.entries(builtinSteps({ run: { cwd: process.cwd(), env: process.env } }))),
    });
    const ids = [
      await orphan(journal, plan, "dead", file),
      await orphan(journal, plan, "expired", file),
      await orphan(journal, plan, "dead", file),
    ];
    try {
      const env = cleanEnv({ MARK_LOG: log });
      const results = await Promise.all([
        cli(["resume", "--all", "--db", db], dir, env),
        cli(["resume", ids[0] as string, "--db", db], dir, env),
      ]);
      expect(await doubles(journal, ids, log)).toEqual([]);
      expect(results[0], results[0]?.err).toMatchObject({ code: 0, signal: null });
      // The single resume either won the run (0) or was refused naming the live owner (2).
      const one = results[1];
      if (one?.code !== 0) {
        expect(one?.code).toBe(2);
        expect(one?.err).toMatch(/is being executed by \S+\/\d+\/\S+|already finished/);
      }
    } finally {
      await journal.close();
    }
  }, 40_000);
});
