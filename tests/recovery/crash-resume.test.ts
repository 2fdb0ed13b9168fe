/**
 * The real crash test. A child process (tests/fixtures/crash/child.ts: the real journal, engine
 * and built-in steps, composed like the CLI) runs tests/fixtures/crash/workflow.yml and is killed
 * with SIGKILL in the middle of its parallel stage — frozen at a named crash point, or on a timer.
 * The real CLI (`stageflow resume RUN_ID`, or `stageflow resume --all`) then finishes the run in
 * another process. Each step appends `<stepId> <pid> <attempt>` to a log on every execution.
 *
 * Asserted for every kill point: no step the journal recorded as succeeded ran again (nor changed
 * its checkpoint), every step ran and succeeded, the run succeeded, the journal's integrity check
 * passes, and `finish` consumed exactly the outputs the producing steps recorded.
 */
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { CRASH_POINTS, type CrashPoint } from "../../src/engine/engine-api.js";
import { createSqliteJournal } from "../../src/store/index.js";
import { childEntry } from "../support/child-code.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const CHILD = join(ROOT, "tests/fixtures/crash/child.ts");
const WORKFLOW = join(ROOT, "tests/fixtures/crash/workflow.yml");
const BIN = join(ROOT, "src/cli/bin.ts");

const FAN = ["f1", "f2", "f3", "f4", "f5", "f6", "f7", "f8"];
const STAGES: Record<string, string[]> = { prepare: ["seed"], fan: FAN, finish: ["combine", "summary"] };
const STEPS = Object.values(STAGES).flat();
/** The order in which `combine` lists the tokens it consumed. */
const PRODUCERS = ["seed", ...FAN];

/** Cases running at once (each is 2–3 Node processes); the machine may have 2 cores. */
const CONCURRENCY = Number(process.env.CRASH_TEST_CONCURRENCY ?? 3);
/** How long to wait for a marker from the child, or for the CLI to finish. */
const PROCESS_TIMEOUT_MS = 40_000;

type Kill =
  { kind: "hook"; point: CrashPoint; at: number; stage: string } | { kind: "timer"; afterMs: number };

interface Case {
  name: string;
  /** The first kill interrupts `start`; each later one interrupts a resume in a new child. */
  kills: Kill[];
  /** How the CLI finishes the run. */
  via: "id" | "all";
}

const hook = (point: CrashPoint, at: number, stage = "fan"): Kill => ({ kind: "hook", point, at, stage });
const timer = (afterMs: number): Kill => ({ kind: "timer", afterMs });
const describeKill = (k: Kill) =>
  k.kind === "hook" ? `${k.point} #${k.at} in ${k.stage}` : `${k.afterMs}ms into fan`;

const KILLS: Kill[][] = [
  // Frozen at each named crash point, at several moments of the parallel stage.
  ...[1, 3, 5, 8].map((n) => [hook("before-step", n)]),
  ...[1, 4, 6, 8].map((n) => [hook("after-step-before-commit", n)]),
  ...[1, 3, 5, 8].map((n) => [hook("after-commit", n)]),
  [hook("after-stage", 1, "prepare")],
  [hook("after-stage", 1, "fan")],
  // At arbitrary moments: a timer started when the fan stage started (the stage lasts >= 0.6 s).
  ...[0, 40, 100, 170, 240, 320].map((ms) => [timer(ms)]),
  // Killed again while resuming after the first kill.
  [hook("after-commit", 2), hook("before-step", 3)],
  [timer(150), timer(100)],
];

const CASES: Case[] = KILLS.map((kills, i) => ({
  name: kills.map(describeKill).join(", then "),
  kills,
  via: i % 2 === 0 ? "id" : "all",
}));

// --- the processes -------------------------------------------------------------------------

/** The environment of every process: ours without stageflow configuration, plus the log path. */
function baseEnv(log: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith("STAGEFLOW_") && !k.startsWith("CRASH_")) env[k] = v;
  }
  env.CRASH_LOG = log;
  return env;
}

function node(args: string[], cwd: string, env: NodeJS.ProcessEnv): ChildProcessWithoutNullStreams {
  const [file = "", ...rest] = args;
  return spawn(process.execPath, [childEntry(file), ...rest], { cwd, env, stdio: "pipe" });
}

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

function exited(child: ChildProcessWithoutNullStreams): Promise<Exit> {
  return new Promise((res) => child.once("exit", (code, signal) => res({ code, signal })));
}

interface Killed {
  runId: string;
  pid: number;
  /** The CRASHPOINT line, for hook kills. */
  marker: { point: string; stageId: string; stepId: string | undefined } | undefined;
  out: string;
}

/**
 * Starts (or resumes) the run in a child, kills it with SIGKILL at `kill`, and returns once the
 * child is dead and reaped (a zombie's pid would still look alive to the CLI's liveness probe).
 */
async function killChild(
  dir: string,
  db: string,
  log: string,
  kill: Kill,
  resumeId?: string,
): Promise<Killed> {
  const env = baseEnv(log);
  if (kill.kind === "hook")
    Object.assign(env, { CRASH_POINT: kill.point, CRASH_AT: String(kill.at), CRASH_STAGE: kill.stage });
  const args = [CHILD, db, WORKFLOW, ...(resumeId ? ["--resume", resumeId] : [])];
  const child = node(args, dir, env);
  const exit = exited(child);
  let out = "";
  let err = "";
  let runId: string | undefined;
  let marker: Killed["marker"];
  let giveUp: NodeJS.Timeout | undefined;
  child.stderr.setEncoding("utf8").on("data", (d: string) => (err += d));
  const reached = new Promise<void>((res, rej) => {
    let buffered = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      out += d;
      buffered += d;
      let nl = buffered.indexOf("\n");
      while (nl >= 0) {
        const words = buffered.slice(0, nl).split(" ");
        buffered = buffered.slice(nl + 1);
        nl = buffered.indexOf("\n");
        if (words[0] === "RUN_STARTED") runId = words[1];
        if (kill.kind === "hook" && words[0] === "CRASHPOINT") {
          const [, point, , id, stageId, stepId] = words as [string, string, string, string, string, string];
          runId = id;
          marker = { point, stageId, stepId: stepId === "-" ? undefined : stepId };
          res();
        }
        if (kill.kind === "timer" && words[0] === "STAGE_STARTED" && words[1] === "fan") {
          runId = words[2];
          setTimeout(res, kill.afterMs);
        }
      }
    });
    void exit.then((e) =>
      rej(new Error(`the child ended (${e.signal ?? `exit ${e.code}`}) before its kill point\n${out}${err}`)),
    );
    giveUp = setTimeout(
      () => rej(new Error(`no kill point within ${PROCESS_TIMEOUT_MS}ms\n${out}${err}`)),
      PROCESS_TIMEOUT_MS,
    );
  });
  try {
    await reached;
  } finally {
    child.kill("SIGKILL");
    clearTimeout(giveUp);
  }
  const e = await exit;
  expect(e, `the child was not killed by SIGKILL\n${out}${err}`).toEqual({ code: null, signal: "SIGKILL" });
  if (!runId || child.pid === undefined) throw new Error(`the child never said its run id\n${out}${err}`);
  return { runId, pid: child.pid, marker, out };
}

interface CliResult extends Exit {
  pid: number;
  out: string;
  err: string;
}

/** `stageflow resume RUN_ID --db DB` or `stageflow resume --all --db DB`, in its own process. */
async function cliResume(dir: string, db: string, log: string, target: string): Promise<CliResult> {
  const child = node([BIN, "resume", target, "--db", db], dir, baseEnv(log));
  let out = "";
  let err = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
  child.stderr.setEncoding("utf8").on("data", (d: string) => (err += d));
  const timeout = setTimeout(() => child.kill("SIGKILL"), PROCESS_TIMEOUT_MS);
  const e = await exited(child);
  clearTimeout(timeout);
  return { ...e, pid: child.pid ?? -1, out, err };
}

// --- what the log and the journal say --------------------------------------------------------

interface Execution {
  step: string;
  pid: number;
  attempt: number;
}

function readLog(log: string): Execution[] {
  if (!existsSync(log)) return [];
  return readFileSync(log, "utf8")
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => {
      const [step, pid, attempt] = l.split(" ");
      return { step: step ?? "", pid: Number(pid), attempt: Number(attempt) };
    });
}

const count = (log: Execution[], step: string) => log.filter((e) => e.step === step).length;

interface Snapshot {
  /** Steps with a `succeeded` checkpoint: their outputs and checksum. */
  succeeded: Map<string, { outputs: Record<string, string>; checksum: string }>;
  /** Whether the journal recorded the end of the fan stage. */
  fanFinished: boolean;
  runStatus: string | undefined;
  leaseOwner: string | null | undefined;
  leaseExpiresAt: number | null | undefined;
}

/** The journal as the killed process left it, read without writing (read-only connection). */
function snapshot(db: string, runId: string): Snapshot {
  const conn = new Database(db, { readonly: true, fileMustExist: true });
  try {
    const rows = conn
      .prepare("SELECT step_id, outputs, checksum FROM checkpoints WHERE run_id = ? AND status = 'succeeded'")
      .all(runId) as { step_id: string; outputs: string; checksum: string }[];
    const fan = conn
      .prepare(
        "SELECT count(*) AS n FROM events WHERE run_id = ? AND type = 'stage.succeeded' AND json_extract(payload, '$.stageId') = 'fan'",
      )
      .get(runId) as { n: number };
    const run = conn
      .prepare("SELECT status, lease_owner, lease_expires_at FROM runs WHERE id = ?")
      .get(runId) as
      { status: string; lease_owner: string | null; lease_expires_at: number | null } | undefined;
    return {
      succeeded: new Map(
        rows.map((r) => [r.step_id, { outputs: JSON.parse(r.outputs), checksum: r.checksum }]),
      ),
      fanFinished: fan.n > 0,
      runStatus: run?.status,
      leaseOwner: run?.lease_owner,
      leaseExpiresAt: run?.lease_expires_at,
    };
  } finally {
    conn.close();
  }
}

// --- one case --------------------------------------------------------------------------------

async function crashAndResume(c: Case, dir: string): Promise<void> {
  const db = join(dir, "state", "journal.db");
  const log = join(dir, "executions.log");
  const at = (what: string) => `[${c.name}] ${what}`;

  let runId: string | undefined;
  let before: Snapshot | undefined;
  let beforeLog: Execution[] = [];
  let killed: Killed | undefined;
  for (const [i, kill] of c.kills.entries()) {
    const k = describeKill(kill);
    killed = await killChild(dir, db, log, kill, runId);
    if (runId) expect(killed.runId, at(`kill ${i + 1} (${k}): resumed another run`)).toBe(runId);
    runId = killed.runId;
    const pid = killed.pid;
    const snap = snapshot(db, runId);
    const logNow = readLog(log);
    expect(snap.runStatus, at(`kill ${i + 1} (${k}): run status at the kill`)).toBe("running");
    expect(snap.leaseOwner, at(`kill ${i + 1} (${k}): lease owner`)).toMatch(
      new RegExp(`^${hostname().replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}/${pid}/`),
    );
    if (kill.kind === "timer") {
      expect(snap.fanFinished, at(`kill ${i + 1} (${k}): the fan stage had already finished`)).toBe(false);
    } else {
      const m = killed.marker;
      expect(m?.point, at(`kill ${i + 1}: marker`)).toBe(kill.point);
      expect(m?.stageId, at(`kill ${i + 1}: marker stage`)).toBe(kill.stage);
      const step = m?.stepId;
      const ranHere = (s: string) => logNow.some((e) => e.step === s && e.pid === pid);
      // Each crash point means what it says.
      if (kill.point === "before-step") {
        expect(step && ranHere(step), at(`${step} ran before its before-step hook`)).toBe(false);
        expect(snap.succeeded.has(step ?? ""), at(`${step} succeeded before it started`)).toBe(false);
      } else if (kill.point === "after-step-before-commit") {
        expect(step && ranHere(step), at(`${step} did not run before after-step-before-commit`)).toBe(true);
        expect(snap.succeeded.has(step ?? ""), at(`${step} committed before its commit`)).toBe(false);
      } else if (kill.point === "after-commit") {
        expect(snap.succeeded.has(step ?? ""), at(`${step} not committed at after-commit`)).toBe(true);
      } else {
        for (const s of STAGES[kill.stage] ?? []) {
          expect(snap.succeeded.has(s), at(`${s} not succeeded at after-stage of ${kill.stage}`)).toBe(true);
        }
      }
    }
    // A step that succeeded in this process ran once in it (no retries in the fixture).
    for (const s of snap.succeeded.keys()) {
      if (before?.succeeded.has(s)) continue;
      const here = logNow.filter((e) => e.step === s && e.pid === pid).length;
      expect(here, at(`kill ${i + 1} (${k}): executions of succeeded step ${s} in the child`)).toBe(1);
    }
    if (before) checkUnchanged(before, beforeLog, snap, logNow, at(`kill ${i + 1} (${k})`));
    before = snap;
    beforeLog = logNow;
  }
  if (!runId || !before || !killed) throw new Error("no kill");
  // The lease is still valid: the CLI may take the run over only because its owner is dead.
  expect(
    before.leaseExpiresAt ?? 0,
    at("the killed owner's lease expired before the resume"),
  ).toBeGreaterThan(Date.now());

  const cli = await cliResume(dir, db, log, c.via === "id" ? runId : "--all");
  const cliSays = `exit ${cli.code ?? cli.signal}\n--- stdout\n${cli.out}\n--- stderr\n${cli.err}`;
  expect(cli.code, at(`stageflow resume ${c.via === "id" ? "RUN_ID" : "--all"} failed: ${cliSays}`)).toBe(0);

  const journal = createSqliteJournal({ path: db });
  try {
    const run = await journal.getRun(runId);
    expect(run?.status, at(`run status after resume\n${cliSays}`)).toBe("succeeded");
    const verified = await journal.verify();
    expect(verified, at("journal integrity check")).toEqual({ ok: true, problems: [] });
    const checkpoints = new Map((await journal.listCheckpoints(runId)).map((cp) => [cp.stepId, cp]));
    const logEnd = readLog(log);

    // Every step ran and succeeded.
    for (const s of STEPS) {
      expect(count(logEnd, s), at(`step ${s} never ran`)).toBeGreaterThan(0);
      expect(checkpoints.get(s)?.status, at(`step ${s} has no succeeded checkpoint`)).toBe("succeeded");
    }
    // No step recorded as succeeded at the kill ran again, and its checkpoint is the same.
    const final = snapshot(db, runId);
    checkUnchanged(before, beforeLog, final, logEnd, at("after resume"));
    // The CLI ran exactly the steps that had not succeeded.
    const ranByCli = [...new Set(logEnd.filter((e) => e.pid === cli.pid).map((e) => e.step))].sort();
    const missing = STEPS.filter((s) => !before.succeeded.has(s)).sort();
    expect(ranByCli, at("steps the CLI ran")).toEqual(missing);

    // Each recorded output names an execution in the log (and a re-run one, the CLI's).
    const token = (s: string) => String(checkpoints.get(s)?.outputs.token ?? "");
    const seedToken = token("seed");
    for (const s of PRODUCERS) {
      const [id, pid, attempt] = token(s).split("-");
      expect(id, at(`output of ${s}`)).toBe(s);
      const producer = logEnd.find(
        (e) => e.step === s && e.pid === Number(pid) && e.attempt === Number(attempt),
      );
      expect(producer, at(`output ${token(s)} of ${s} matches no execution`)).toBeDefined();
      if (!before.succeeded.has(s)) expect(Number(pid), at(`output of re-run ${s}`)).toBe(cli.pid);
      if (s !== "seed")
        expect(token(s), at(`${s} consumed seed's output`)).toBe(`${s}-${pid}-${attempt}-${seedToken}`);
    }
    // `finish` consumed exactly the recorded outputs.
    const all = PRODUCERS.map(token).join(" ");
    expect(checkpoints.get("combine")?.outputs, at("outputs combine consumed")).toEqual({ all });
    expect(checkpoints.get("summary")?.outputs, at("outputs summary consumed")).toEqual({ seen: all });

    // The CLI took the run over from the dead owner.
    const events = await journal.listEvents(runId);
    const resumed = events.filter((e) => e.type === "run.resumed").at(-1);
    expect(resumed?.payload, at("run.resumed by the CLI")).toMatchObject({
      takenOverFrom: expect.stringMatching(new RegExp(`/${killed.pid}/`)),
      owner: expect.stringMatching(new RegExp(`/${cli.pid}/`)),
    });
  } finally {
    await journal.close();
  }
}

/** Steps succeeded in `before` did not run again, and their checkpoints did not change. */
function checkUnchanged(
  before: Snapshot,
  beforeLog: Execution[],
  after: Snapshot,
  afterLog: Execution[],
  where: string,
) {
  for (const [s, cp] of before.succeeded) {
    expect(count(afterLog, s), `${where}: step ${s}, recorded as succeeded, ran again`).toBe(
      count(beforeLog, s),
    );
    expect(after.succeeded.get(s), `${where}: checkpoint of ${s} changed`).toEqual(cp);
  }
}

// --- the suite -------------------------------------------------------------------------------

/** At most `n` cases at once (vitest's own limit for concurrent tests is higher). */
function limiter(n: number) {
  let active = 0;
  const waiting: (() => void)[] = [];
  return async <T>(fn: () => Promise<T>): Promise<T> => {
    if (active >= n) await new Promise<void>((res) => waiting.push(res));
    active++;
    try {
      return await fn();
    } finally {
      active--;
      waiting.shift()?.();
    }
  };
}

describe("crash and resume: SIGKILL in the middle of a parallel stage", () => {
  const limit = limiter(CONCURRENCY);
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it("covers at least 20 kill points, every named crash point, and both ways to resume", () => {
    const kills = CASES.flatMap((c) => c.kills);
    expect(kills.length).toBeGreaterThanOrEqual(20);
    const points = new Set(kills.flatMap((k) => (k.kind === "hook" ? [k.point] : [])));
    expect([...points].sort()).toEqual([...CRASH_POINTS].sort());
    expect(new Set(CASES.map((c) => c.via))).toEqual(new Set(["id", "all"]));
  });

  it.concurrent.each(CASES.map((c) => [c.name, c.via === "id" ? "RUN_ID" : "--all", c] as const))(
    "killed at %s, finished by `stageflow resume %s`",
    { timeout: 90_000 },
    (_name, _via, c) =>
      limit(async () => {
        const dir = mkdtempSync(join(tmpdir(), "stageflow-crash-"));
        dirs.push(dir);
        await crashAndResume(c, dir);
      }),
  );
});
