/**
 * What a durable step costs, split in two (a developer tool, not part of `npm run bench`):
 *
 *   npm run bench:costs [-- --reps=9 --only=rows,engine]
 *
 * - rows: the SQL the journal runs for the workload (200 runs, 4 in flight, the same 250
 *   commits), on the real schema (`openDatabase`), with almost no JavaScript around it; then
 *   the same with one kind of row left out at a time, and with the separate attempt row that
 *   schema v3 saves (decision 0007) put back. µs per step, medians: the price of each kind of row.
 * - engine: the engine on a journal that stores nothing (every write resolves with the next
 *   group commit, in one setImmediate) against the engine on SQLite: the engine's own cost per
 *   step and the storage's.
 */
import type { Journal } from "../src/engine/journal.js";
import { createEngine } from "../src/engine/index.js";
import { createSqliteJournal, openDatabase } from "../src/store/index.js";
import {
  benchOptions,
  benchPlan,
  IN_FLIGHT,
  KIND,
  median,
  pool,
  round,
  STEPS_PER_WORKFLOW,
  tempDir,
  WORKFLOWS,
} from "./workload.js";

const { reps, only } = benchOptions({ reps: 9, only: "rows,engine" });
const STEPS = WORKFLOWS * STEPS_PER_WORKFLOW;

/** "" is what the journal writes; "attempt row" adds what it wrote before schema v3. */
type Leave = "" | "step.started" | "stage events" | "attempt row" | "checkpoint row";

/** The journal's statements for the workload, phase by phase as the engine commits them. */
function rows(leave: Leave): number {
  const tmp = tempDir("rows");
  const db = openDatabase(tmp.file("rows.db"), { durability: "process" });
  try {
    db.prepare("INSERT INTO definitions (hash, body) VALUES ('h', '{}')").run();
    const run = db.prepare(
      `INSERT INTO runs (id, workflow, definition_hash, trigger, correlation_id, inputs, status,
         lease_owner, lease_expires_at, created_at, updated_at)
       VALUES (?, 'bench', 'h', '{"kind":"api"}', ?, '{}', 'running', 'engine/bench', ?, ?, ?)`,
    );
    const event = db.prepare(
      "INSERT OR IGNORE INTO events (run_id, correlation_id, type, at, payload, hash) VALUES (?, ?, ?, ?, ?, ?)",
    );
    const attempt = db.prepare(
      `INSERT INTO attempts (run_id, step_id, stage_id, attempt, status, reason, started_at, finished_at, outputs)
       VALUES (?, ?, ?, 1, 'succeeded', 'succeeded', ?, ?, '{}')`,
    );
    const checkpoint = db.prepare(
      `INSERT INTO checkpoints (run_id, step_id, stage_id, identity, status, reason, outputs, attempts,
         started_at, finished_at, checksum, inline_attempt)
       VALUES (?, ?, ?, ?, 'succeeded', 'succeeded', '{}', 1, ?, ?, 'c1:0123456789abcdef', ?)
       ON CONFLICT (run_id, step_id) DO UPDATE SET status = excluded.status`,
    );
    const end = db.prepare(
      `UPDATE runs SET status = 'succeeded', finished_at = ?, updated_at = ?, lease_owner = NULL,
         lease_expires_at = NULL WHERE id = ?`,
    );
    const commit = db.transaction((units: (() => void)[]) => {
      for (const unit of units) unit();
    });
    const identity = "0123456789abcdef".repeat(4);
    const started = performance.now();
    for (let generation = 0; generation < WORKFLOWS / IN_FLIGHT; generation++) {
      const ids = Array.from({ length: IN_FLIGHT }, (_, i) => `run-${generation}-${i}-${"x".repeat(26)}`);
      const now = Date.now();
      const ev = (id: string, type: string, payload: string, hash: string) =>
        event.run(id, id, type, now, payload, hash);
      const step = (id: string, stage: string, stepId: string) => {
        if (leave !== "step.started") {
          ev(
            id,
            "step.started",
            `{"stageId":"${stage}","stepId":"${stepId}","attempt":1}`,
            `step.started|${stepId}/1`,
          );
        }
        // Since schema v3 a fast first attempt is stored in its checkpoint (inline_attempt = 1).
        const separate = leave === "attempt row";
        if (separate) attempt.run(id, stepId, stage, now, now);
        if (leave !== "checkpoint row")
          checkpoint.run(id, stepId, stage, identity, now, now, separate ? 0 : 1);
        ev(
          id,
          "step.succeeded",
          `{"stageId":"${stage}","stepId":"${stepId}","attempt":1,"durationMs":0,"outputs":{}}`,
          `step.succeeded|${stepId}/1`,
        );
      };
      commit.immediate(
        ids.map((id) => () => {
          run.run(id, id, now + 30_000, now, now);
          ev(id, "run.started", '{"workflow":"bench","inputs":{},"trigger":{"kind":"api"}}', `h-${id}`);
        }),
      );
      for (const [stage, n] of [
        ["first", 1],
        ["middle", 10],
        ["last", 1],
      ] as const) {
        commit.immediate(
          ids.map((id) => () => {
            if (leave !== "stage events")
              ev(id, "stage.started", `{"stageId":"${stage}"}`, `stage.started|s/${stage}`);
            for (let k = 0; k < n; k++) step(id, stage, `${stage}-${k}`);
            if (leave !== "stage events") {
              ev(
                id,
                "stage.succeeded",
                `{"stageId":"${stage}","durationMs":0}`,
                `stage.succeeded|s/${stage}`,
              );
            }
          }),
        );
      }
      commit.immediate(
        ids.map((id) => () => {
          end.run(now, now, id);
          ev(id, "run.succeeded", '{"durationMs":1}', `e-${id}`);
        }),
      );
    }
    return ((performance.now() - started) * 1000) / STEPS;
  } finally {
    db.close();
    tmp.cleanup();
  }
}

/** A Journal that stores nothing: each write resolves with the next "commit" (one setImmediate). */
function nullJournal(): Journal {
  let pending: (() => void)[] = [];
  const write = (): Promise<void> =>
    new Promise<void>((resolve) => {
      if (pending.length === 0) {
        setImmediate(() => {
          const batch = pending;
          pending = [];
          for (const done of batch) done();
        });
      }
      pending.push(resolve);
    });
  const writes = ["createRun", "updateRun", "startAttempt", "finishAttempt", "putCheckpoint", "appendEvents"];
  const journal: Record<string, unknown> = {
    releaseLease: write,
    loadBreakers: async () => ({}),
    renewLease: async () => ({ held: true, cancelRequested: false }),
  };
  for (const name of writes) journal[name] = write;
  return journal as unknown as Journal;
}

async function engineOn(kind: "null" | "sqlite"): Promise<number> {
  const tmp = tempDir("costs");
  const journal = kind === "null" ? nullJournal() : createSqliteJournal({ path: tmp.file("j.db") });
  const engine = createEngine({ journal });
  engine.register(KIND, async () => ({}));
  const plan = benchPlan(engine.kinds);
  try {
    const started = performance.now();
    await pool(WORKFLOWS, IN_FLIGHT, async () => {
      const result = await (await engine.start(plan)).done;
      if (result.status !== "succeeded") throw new Error(`run ended ${result.status}`);
    });
    return ((performance.now() - started) * 1000) / STEPS;
  } finally {
    await engine.close();
    if (kind === "sqlite") await (journal as ReturnType<typeof createSqliteJournal>).close();
    tmp.cleanup();
  }
}

if (only.has("rows")) {
  const kinds: Leave[] = ["", "step.started", "stage events", "attempt row", "checkpoint row"];
  const samples = new Map<Leave, number[]>(kinds.map((k) => [k, []]));
  for (const k of kinds) rows(k); // warm-up
  // The order rotates each repetition, so that no variant always follows the same one.
  for (let r = 0; r < reps; r++) {
    for (let i = 0; i < kinds.length; i++) {
      const k = kinds[(i + r) % kinds.length] as Leave;
      samples.get(k)?.push(rows(k));
    }
  }
  const all = median(samples.get("") ?? []);
  console.log(`rows: as the journal writes them ${round(all, 1)} µs/step (median of ${reps})`);
  for (const k of kinds.slice(1)) {
    const m = median(samples.get(k) ?? []);
    const what = k === "attempt row" ? "with a separate attempt row (before v3)" : `without ${k}`;
    console.log(`  ${what.padEnd(40)} ${round(m, 1)} µs/step (${m >= all ? "+" : ""}${round(m - all, 1)})`);
  }
}

if (only.has("engine")) {
  for (let i = 0; i < 3; i++) {
    await engineOn("null");
    await engineOn("sqlite");
  }
  const onNull: number[] = [];
  const onSqlite: number[] = [];
  for (let r = 0; r < reps; r++) {
    onNull.push(await engineOn("null"));
    onSqlite.push(await engineOn("sqlite"));
  }
  const n = median(onNull);
  const s = median(onSqlite);
  console.log(
    `engine: ${round(n, 1)} µs/step on a journal that stores nothing, ${round(s, 1)} on SQLite ` +
      `(storage ≈ ${round(s - n, 1)} µs/step, ${round(((s - n) / s) * 100)} %); medians of ${reps}`,
  );
}
