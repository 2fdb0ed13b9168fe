/**
 * Where a durable step's time goes (a developer tool, not part of `npm run bench`):
 *
 *   npx tsx bench/profile.ts [--reps=3] [--only=split,variants,micro,span]
 *
 * - split: the workload through the engine on SQLite ('process'), with the time spent inside the
 *   group-commit flush (all SQLite work: statements, COMMIT, WAL checkpoints) measured apart from
 *   the rest, plus bytes written (/proc/self/io) per step; and the same engine on MemoryJournal
 *   (no SQLite at all) for the engine's own CPU cost.
 * - variants: the same workload with one storage change at a time, applied from the outside (a
 *   database created here with an altered schema and handed to `new SqliteJournal(db, path)`,
 *   pragmas, the engine's `newId` option). Each variant is measured interleaved with the stock
 *   journal; µs per step, median of reps. (Changes since adopted in src, such as the group commit
 *   without per-unit savepoints and UUIDv7 run ids, are the stock journal now.)
 * - micro: a raw-SQLite lower bound for storage, and per-call costs of the engine's per-step
 *   helpers (sha256 hashes, AbortController + abort(), a timer, p-queue, a setImmediate hop).
 * - span: (b)'s middle-stage span overhead with 1 workflow in flight vs 4, SQLite vs memory.
 * - memory-engine: only the engine on MemoryJournal (for a CPU profile of the engine alone).
 * - sqlite-engine: only the engine on the stock SQLite journal (for a CPU profile of the
 *   throughput workload without the MemoryJournal half of `split`).
 *
 * For a CPU profile of the throughput workload (the main thread's file is the one ending .001):
 *   node --import tsx --cpu-prof --cpu-prof-interval 100 --cpu-prof-dir=/tmp/prof bench/profile.ts --only=sqlite-engine --reps=10
 *   npx tsx bench/cpuprofile-summary.ts /tmp/prof/<file>.cpuprofile 35 60 --steps=24000
 */
import { randomUUID } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import Database from "better-sqlite3";
import PQueue from "p-queue";
import { checkpointChecksum, eventHash } from "../src/engine/canonical.js";
import { compileWorkflow } from "../src/engine/definition/index.js";
import type { Engine, EngineOptions } from "../src/engine/engine-api.js";
import type { EngineEvent } from "../src/engine/events.js";
import { checkpoint } from "../src/engine/executor/step-endings.js";
import { uuidv7 } from "../src/engine/ids.js";
import { createEngine, systemClock } from "../src/engine/index.js";
import type { Journal } from "../src/engine/journal.js";
import {
  MemoryJournal,
  MIGRATIONS,
  openDatabase,
  SCHEMA_VERSION,
  SqliteJournal,
} from "../src/store/index.js";
import {
  benchOptions,
  benchPlan,
  IN_FLIGHT,
  KIND,
  median,
  pool,
  round,
  STAGES,
  STEPS_PER_WORKFLOW,
  tempDir,
  workflowDefinition,
  WORKFLOWS,
} from "./workload.js";

const { args, reps, only } = benchOptions({ reps: 3, only: "split,variants,micro,span" });
/** Workflows per measured run (--workflows=N; more gives a steadier CPU profile). */
const workflowsArg = Number(args.get("workflows") ?? WORKFLOWS);

function procIo(): Record<string, number> {
  try {
    return Object.fromEntries(
      readFileSync("/proc/self/io", "utf8")
        .trim()
        .split("\n")
        .map((l) => {
          const [k, v] = l.split(": ");
          return [k ?? "", Number(v)];
        }),
    );
  } catch {
    return {};
  }
}

// ---------------------------------------------------------------------------------------------
// Journal variants

interface Variant {
  name: string;
  /** Rewrites the schema SQL (all migrations, concatenated). */
  schema?: (sql: string) => string;
  pragmas?: string[];
  engine?: Partial<EngineOptions>;
}

/**
 * Removes whatever uniqueness the stock schema puts on events.hash (a column UNIQUE or a table
 * UNIQUE (run_id, hash)) and appends `index` instead.
 */
function eventsIndex(index: string): (sql: string) => string {
  return (sql) => {
    const stripped = sql
      .replace(/(\bhash\s+TEXT\s+NOT\s+NULL)\s+UNIQUE\b/i, "$1")
      .replace(/,\s*UNIQUE\s*\(\s*run_id\s*,\s*hash\s*\)/i, "");
    if (stripped === sql && !/CREATE UNIQUE INDEX[^;]*events/i.test(sql)) {
      throw new Error("events.hash uniqueness not found in the schema; update bench/profile.ts");
    }
    return `${stripped}\n${index}`;
  };
}
const BY_HASH = "CREATE UNIQUE INDEX bench_events_hash ON events (hash);";
const BY_DEDUPE =
  "CREATE UNIQUE INDEX bench_events_dedupe ON events (run_id, type, dedupe_key) WHERE dedupe_key IS NOT NULL;";

/** Time-ordered ids (like the engine's UUIDv7) for the raw lower bound's rows. */
let seq = 0;
const timeOrderedId = (): string =>
  `${Date.now().toString(16).padStart(12, "0")}-${(seq++).toString(16).padStart(8, "0")}-${Math.random().toString(16).slice(2, 10)}`;

const VARIANTS: Variant[] = [
  { name: "stock journal (schema and pragmas as in src/store today, 'process')" },
  {
    name: "events: UNIQUE (hash) (the old schema; src has UNIQUE (run_id, hash))",
    schema: eventsIndex(BY_HASH),
  },
  {
    name: "events: no hash index, UNIQUE (run_id, type, dedupe_key) WHERE dedupe_key NOT NULL",
    schema: eventsIndex(BY_DEDUPE),
  },
  {
    name: "random UUIDv4 run ids (the old default; src uses UUIDv7)",
    engine: { newId: randomUUID },
  },
  {
    name: "wal_autocheckpoint = 1000 (SQLite's default; src sets 10000)",
    pragmas: ["wal_autocheckpoint = 1000"],
  },
  { name: "wal_autocheckpoint = 0 (no checkpoint on the event loop)", pragmas: ["wal_autocheckpoint = 0"] },
  { name: "cache_size = -65536 (64 MB page cache)", pragmas: ["cache_size = -65536"] },
  {
    name: "events.seq without AUTOINCREMENT (a plain rowid: reused after a prune of the newest runs)",
    schema: (sql) => {
      const out = sql.replace(/(\bseq\s+INTEGER\s+PRIMARY\s+KEY)\s+AUTOINCREMENT\b/i, "$1");
      if (out === sql)
        throw new Error("events.seq AUTOINCREMENT not found in the schema; update bench/profile.ts");
      return out;
    },
  },
];

/**
 * A journal on a fresh file whose schema is the stock one rewritten by `v.schema`: the file is
 * created here at the current schema version, then opened with the stock openDatabase (stock
 * pragmas, no migration to run), then `v.pragmas` are applied.
 */
function openVariant(path: string, v: Variant): SqliteJournal {
  if (v.schema) {
    const init = new Database(path);
    init.pragma("journal_mode = WAL");
    init.exec(v.schema(MIGRATIONS.map((m) => m.sql).join("\n")));
    init.pragma(`user_version = ${SCHEMA_VERSION}`);
    init.close();
  }
  const db = openDatabase(path, { durability: "process" });
  for (const p of v.pragmas ?? []) db.pragma(p);
  return new SqliteJournal(db, path);
}

/** Wraps the journal's group-commit flush to time it (all SQLite work happens inside). */
function timeFlushes(journal: SqliteJournal): { ms: number; flushes: number } {
  const q = (journal as unknown as { queue: { flush: () => void } }).queue;
  const original = q.flush;
  const acc = { ms: 0, flushes: 0 };
  (q as { flush: () => void }).flush = () => {
    const t = performance.now();
    original();
    acc.ms += performance.now() - t;
    acc.flushes++;
  };
  return acc;
}

interface WorkloadRun {
  usPerStep: number;
  cpuUsPerStep: number;
  flushUsPerStep?: number;
  bytesWrittenPerStep?: number;
  writeSyscallsPerStep?: number;
  dbBytesPerRun?: number;
  commits?: number;
  writes?: number;
}

async function runWorkload(
  journal: Journal,
  extra: Partial<EngineOptions> = {},
  workflows = workflowsArg,
): Promise<{ engine: Engine; result: WorkloadRun }> {
  const engine = createEngine({ journal, ...extra });
  engine.register(KIND, async () => ({}));
  const plan = benchPlan(engine.kinds);
  const sqlite = journal instanceof SqliteJournal ? journal : undefined;
  const flush = sqlite ? timeFlushes(sqlite) : undefined;
  const io0 = procIo();
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  await pool(workflows, IN_FLIGHT, async () => {
    const r = await (await engine.start(plan)).done;
    if (r.status !== "succeeded") throw new Error(`run ended ${r.status} (${r.reason})`);
  });
  const elapsed = performance.now() - start;
  const cpu = process.cpuUsage(cpu0);
  const io1 = procIo();
  const steps = workflows * STEPS_PER_WORKFLOW;
  const result: WorkloadRun = {
    usPerStep: (elapsed * 1000) / steps,
    cpuUsPerStep: (cpu.user + cpu.system) / steps,
  };
  if (sqlite && flush) {
    result.flushUsPerStep = (flush.ms * 1000) / steps;
    result.bytesWrittenPerStep = ((io1.wchar ?? 0) - (io0.wchar ?? 0)) / steps;
    result.writeSyscallsPerStep = ((io1.syscw ?? 0) - (io0.syscw ?? 0)) / steps;
    const wal = statSync(`${sqlite.path}-wal`, { throwIfNoEntry: false })?.size ?? 0;
    result.dbBytesPerRun = (statSync(sqlite.path).size + wal) / workflows;
    Object.assign(result, sqlite.stats());
  }
  await engine.close();
  return { engine, result };
}

async function split(): Promise<void> {
  console.log("\n== split: engine on SQLite ('process') vs engine on MemoryJournal ==");
  const sq: WorkloadRun[] = [];
  const mem: WorkloadRun[] = [];
  for (let i = 0; i < reps; i++) {
    const tmp = tempDir("profile-split");
    const journal = openVariant(tmp.file("j.db"), { name: "stock" });
    sq.push((await runWorkload(journal)).result);
    await journal.close();
    tmp.cleanup();
    mem.push((await runWorkload(new MemoryJournal())).result);
  }
  const m = (rs: WorkloadRun[], k: keyof WorkloadRun) => round(median(rs.map((r) => Number(r[k] ?? 0))), 1);
  console.log(
    `sqlite: ${m(sq, "usPerStep")} µs/step wall (${round(1e6 / m(sq, "usPerStep"))} steps/s), ` +
      `CPU ${m(sq, "cpuUsPerStep")} µs/step, inside flush (SQLite) ${m(sq, "flushUsPerStep")} µs/step, ` +
      `outside flush ${round(m(sq, "usPerStep") - m(sq, "flushUsPerStep"), 1)} µs/step`,
  );
  console.log(
    `        ${m(sq, "bytesWrittenPerStep")} bytes written/step in ${m(sq, "writeSyscallsPerStep")} write syscalls; ` +
      `db + WAL files ${m(sq, "dbBytesPerRun")} bytes/run; ${sq[0]?.commits} commits / ${sq[0]?.writes} writes`,
  );
  console.log(
    `memory: ${m(mem, "usPerStep")} µs/step wall (${round(1e6 / m(mem, "usPerStep"))} steps/s), CPU ${m(mem, "cpuUsPerStep")} µs/step`,
  );
}

async function variants(): Promise<void> {
  console.log(
    "\n== variants: one storage change at a time ('process'; medians of per-rep ratios to the stock journal run in the same rep) ==",
  );
  const results = new Map<string, WorkloadRun[]>();
  for (let i = 0; i < reps; i++) {
    for (const v of VARIANTS) {
      const tmp = tempDir("profile-variant");
      const journal = openVariant(tmp.file("j.db"), v);
      const { result } = await runWorkload(journal, v.engine);
      await journal.close();
      tmp.cleanup();
      results.set(v.name, [...(results.get(v.name) ?? []), result]);
    }
  }
  const stock = results.get(VARIANTS[0]?.name ?? "") ?? [];
  const pad = (x: number, n: number) => String(round(x)).padStart(n);
  console.log("  wall µs/step  ×wall  CPU µs/step  ×CPU  flush µs/step  B written/step  variant");
  for (const v of VARIANTS) {
    const rs = results.get(v.name) ?? [];
    const wall = median(rs.map((r) => r.usPerStep));
    const cpu = median(rs.map((r) => r.cpuUsPerStep));
    const xWall = median(rs.map((r, i) => (stock[i]?.usPerStep ?? Number.NaN) / r.usPerStep));
    const xCpu = median(rs.map((r, i) => (stock[i]?.cpuUsPerStep ?? Number.NaN) / r.cpuUsPerStep));
    console.log(
      `  ${pad(wall, 11)}  ${round(xWall, 2).toFixed(2).padStart(5)}  ${pad(cpu, 11)}  ${round(xCpu, 2).toFixed(2).padStart(4)}  ` +
        `${pad(median(rs.map((r) => r.flushUsPerStep ?? 0)), 13)}  ${pad(median(rs.map((r) => r.bytesWrittenPerStep ?? 0)), 14)}  ${v.name}`,
    );
  }
}

/**
 * A lower bound for this design's storage: per step ONE checkpoint row and ONE event row
 * (rowid tables, a (run_id, …) index each, time-ordered run ids, no hash), grouped like the
 * engine's commits (`perCommit` steps per transaction), same pragmas ('process').
 */
function rawLowerBound(perCommit: number): number {
  const tmp = tempDir("profile-raw");
  const db = new Database(tmp.file("raw.db"));
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL");
  db.exec(`CREATE TABLE steps (run_id TEXT NOT NULL, step_id TEXT NOT NULL, status TEXT NOT NULL,
             outputs TEXT NOT NULL, checksum TEXT NOT NULL, finished_at INTEGER NOT NULL);
           CREATE UNIQUE INDEX steps_key ON steps (run_id, step_id);
           CREATE TABLE events (seq INTEGER PRIMARY KEY, run_id TEXT NOT NULL, type TEXT NOT NULL,
             at INTEGER NOT NULL, payload TEXT NOT NULL);
           CREATE INDEX events_run ON events (run_id, seq);`);
  const step = db.prepare("INSERT INTO steps VALUES (?, ?, 'succeeded', '{}', ?, ?)");
  const event = db.prepare(
    "INSERT INTO events (run_id, type, at, payload) VALUES (?, 'step.succeeded', ?, ?)",
  );
  const batch = db.transaction((rows: [string, string][]) => {
    for (const [run, id] of rows) {
      step.run(run, id, "c".repeat(64), Date.now());
      event.run(
        run,
        Date.now(),
        JSON.stringify({ stageId: "middle", stepId: id, attempt: 1, durationMs: 0, outputs: {} }),
      );
    }
  });
  const steps = 24_000;
  const start = performance.now();
  for (let i = 0; i < steps; i += perCommit) {
    const rows: [string, string][] = [];
    for (let j = i; j < i + perCommit; j++)
      rows.push([timeOrderedId().slice(0, 21) + String(Math.floor(j / 12)), `s${j % 12}`]);
    batch.immediate(rows);
  }
  const us = ((performance.now() - start) * 1000) / steps;
  db.close();
  tmp.cleanup();
  return us;
}

function perCall(label: string, n: number, fn: (i: number) => void): void {
  for (let i = 0; i < Math.min(n, 2000); i++) fn(i);
  const t = performance.now();
  for (let i = 0; i < n; i++) fn(i);
  console.log(`${String(round(((performance.now() - t) * 1000) / n, 2)).padStart(7)} µs  ${label}`);
}

async function micro(): Promise<void> {
  console.log("\n== raw lower bound: 1 checkpoint row + 1 event row per step, no engine ==");
  for (const perCommit of [1, 3, 10]) {
    console.log(
      `${String(round(rawLowerBound(perCommit), 1)).padStart(7)} µs/step with ${perCommit} steps per commit`,
    );
  }
  console.log("\n== micro: per-call costs of per-step helpers ==");
  const runId = "0b9e5a4e-7c0e-4d47-a5a0-6a4c1f3a9d21";
  const payload = { stageId: "middle", stepId: "m01", attempt: 1, durationMs: 3, outputs: {} };
  perCall("eventHash (sha256 over canonical JSON of the payload) — 2.67 events per step", 50_000, (i) =>
    eventHash({ runId, type: "step.succeeded", payload: { ...payload, attempt: i } }),
  );
  perCall("checkpointChecksum — 1 per step", 50_000, () =>
    checkpointChecksum({ runId, stepId: "m01", identity: "x".repeat(64), status: "succeeded", outputs: {} }),
  );
  // The engine's checkpoint record (step-endings' checkpoint(): `{ ...base, more }` + checksum)
  // vs the same record with its properties written out.
  const cpCtx = { runId, services: { clock: systemClock } } as unknown as Parameters<typeof checkpoint>[0];
  const cpStep = { id: "m01", stageId: "middle", identity: "x".repeat(64) } as unknown as Parameters<
    typeof checkpoint
  >[1];
  perCall("checkpoint() record: { ...base, more } + checkpointChecksum — 1 per step", 50_000, (i) =>
    checkpoint(cpCtx, cpStep, {
      status: "succeeded",
      reason: "succeeded",
      outputs: {},
      attempts: 1,
      startedAt: i,
    }),
  );
  perCall("the same record with its properties written out (no spread)", 50_000, (i) => {
    const base = { runId, stepId: "m01", identity: "x".repeat(64), status: "succeeded", outputs: {} };
    return {
      runId: base.runId,
      stepId: base.stepId,
      identity: base.identity,
      status: base.status,
      outputs: base.outputs,
      stageId: "middle",
      reason: "succeeded",
      attempts: 1,
      startedAt: i,
      finishedAt: systemClock.now(),
      checksum: checkpointChecksum(base),
    };
  });
  perCall("JSON.stringify of a step.succeeded payload", 50_000, () => JSON.stringify(payload));
  perCall("uuidv7() (randomBytes(16) per id; 2 ids per run)", 50_000, () => uuidv7());
  perCall(
    "new AbortController() + abort() (DOMException reason); TimeoutPolicy makes 1 per attempt",
    50_000,
    () => new AbortController().abort(),
  );
  perCall("new AbortController() + .signal, never aborted (TimeoutPolicy's inner controller)", 50_000, () => {
    void new AbortController().signal;
  });
  const reason = new Error("settled");
  perCall("new AbortController() + abort(preallocated reason)", 50_000, () =>
    new AbortController().abort(reason),
  );
  perCall("setTimeout + clearTimeout (systemClock.setTimer: the step timeout, 1 per attempt)", 50_000, () =>
    clearTimeout(setTimeout(() => {}, 600_000)),
  );
  const kinds = new Map([[KIND, { execute: async () => ({}) }]]);
  perCall(
    "compileWorkflow of the workload (zod validation + compile) — once per workflow version (cached)",
    300,
    () => compileWorkflow(workflowDefinition(), { kinds }),
  );
  let hops = 0;
  const t = performance.now();
  for (let i = 0; i < 20_000; i++) await new Promise<void>((r) => setImmediate(r));
  hops = 20_000;
  console.log(
    `${String(round(((performance.now() - t) * 1000) / hops, 2)).padStart(7)} µs  setImmediate hop (each write waits one)`,
  );
  const n = 2000;
  const t2 = performance.now();
  for (let i = 0; i < n; i++) {
    const q = new PQueue({ concurrency: 10 });
    await Promise.all(Array.from({ length: 10 }, () => q.add(async () => 1, { priority: 0 })));
  }
  const pq = ((performance.now() - t2) * 1000) / n / 10;
  const t3 = performance.now();
  for (let i = 0; i < n; i++) await Promise.all(Array.from({ length: 10 }, async () => 1));
  const pa = ((performance.now() - t3) * 1000) / n / 10;
  console.log(
    `${String(round(pq, 2)).padStart(7)} µs  p-queue per parallel step (vs ${round(pa, 2)} µs with Promise.all, which the engine uses when all steps can start at once)`,
  );
}

async function spanOverhead(): Promise<void> {
  console.log("\n== span: (b)'s middle-stage span overhead (span − slowest middle step) ==");
  for (const [label, inFlight, memory] of [
    ["sqlite, 4 in flight", 4, false],
    ["sqlite, 1 in flight", 1, false],
    ["memory, 4 in flight", 4, true],
  ] as const) {
    const tmp = tempDir("profile-span");
    const journal: Journal = memory ? new MemoryJournal() : openVariant(tmp.file("j.db"), { name: "stock" });
    const engine = createEngine({ journal });
    const t = new Map<string, { s1End?: number; s3Start?: number; longest: number; sum: number }>();
    const get = (id: string) => {
      let x = t.get(id);
      if (!x) {
        x = { longest: 0, sum: 0 };
        t.set(id, x);
      }
      return x;
    };
    engine.register(KIND, async (ctx) => {
      const x = get(ctx.runId);
      const a = performance.now();
      if (ctx.stageId === STAGES.last) x.s3Start = a;
      await systemClock.sleep(50, ctx.signal);
      const d = performance.now() - a;
      if (ctx.stageId === STAGES.first) x.s1End = performance.now();
      if (ctx.stageId === STAGES.middle) {
        x.longest = Math.max(x.longest, d);
        x.sum += d;
      }
      return {};
    });
    engine.on((_e: EngineEvent) => {});
    const plan = benchPlan(engine.kinds);
    await pool(inFlight === 1 ? 40 : 100, inFlight, async () => {
      await (
        await engine.start(plan)
      ).done;
    });
    const spans = [...t.values()].map((x) => (x.s3Start ?? 0) - (x.s1End ?? 0));
    const over = [...t.values()].map((x) => (x.s3Start ?? 0) - (x.s1End ?? 0) - x.longest);
    const speed = [...t.values()].map((x) => x.sum / ((x.s3Start ?? 0) - (x.s1End ?? 0)));
    console.log(
      `${label}: span median ${round(median(spans), 2)} ms, overhead beyond the slowest step ` +
        `${round(median(over), 2)} ms, speedup ${round(median(speed), 2)}×`,
    );
    await engine.close();
    await journal.close();
    tmp.cleanup();
  }
}

if (only.has("memory-engine")) {
  for (let i = 0; i < reps; i++) {
    const { result } = await runWorkload(new MemoryJournal());
    console.log(
      `memory journal: ${round(result.usPerStep, 1)} µs/step wall, CPU ${round(result.cpuUsPerStep, 1)} µs/step`,
    );
  }
}
if (only.has("sqlite-engine")) {
  for (let i = 0; i < reps; i++) {
    const tmp = tempDir("profile-sqlite-engine");
    const journal = openVariant(tmp.file("j.db"), { name: "stock" });
    const { result } = await runWorkload(journal);
    await journal.close();
    tmp.cleanup();
    console.log(
      `sqlite journal: ${round(result.usPerStep, 1)} µs/step wall, CPU ${round(result.cpuUsPerStep, 1)} µs/step, ` +
        `inside flush ${round(result.flushUsPerStep ?? 0, 1)} µs/step; ${result.commits} commits / ${result.writes} writes`,
    );
  }
}
if (only.has("split")) await split();
if (only.has("variants")) await variants();
if (only.has("micro")) await micro();
if (only.has("span")) await spanOverhead();
