/**
 * Runs a command as the leader of its own process group, streams its output line by line, and
 * stops the whole group when it ends: on abort (SIGTERM, then SIGKILL after a grace period), and
 * after the leader exits (what it left running in the background is stopped the same way), so no
 * process of an attempt outlives it.
 *
 * The leader is spawned behind a gate: `/bin/sh` waits for one line on its stdin before it execs
 * the command. `beforeStart(pid)` runs in between (the `run` kind journals the group there), so
 * the command never does any work its owner has not recorded; if this process dies before
 * opening the gate, the gate reads EOF and the command never starts. A watchdog (watchdog.ts)
 * stops the group if this process dies after. Timers here are real (setTimeout), not the engine
 * Clock: they manage OS processes, which a fake clock cannot pause.
 */
import { spawn } from "node:child_process";
import type { SecretMasker } from "../engine/secrets/index.js";
import { lineReader, TAIL_LINES, tailLine, tailText } from "./lines.js";
import { groupAlive } from "./process-identity.js";
import { watchGroup } from "./watchdog.js";

export interface GroupRunOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  signal: AbortSignal;
  onLine(stream: "stdout" | "stderr", line: string): void;
  /**
   * The run's secret values: masked in the stderr tail before it is cut, and never split between
   * the pieces of an over-long line (see lineReader). Lines are passed to `onLine` unmasked otherwise.
   */
  secrets?: SecretMasker;
  /**
   * Called with the leader's pid (= the group id) before the command starts; the command starts
   * once it resolves. When it rejects, the command never starts and the run rejects with its error.
   */
  beforeStart?(pid: number): Promise<void>;
  /** Between SIGTERM and SIGKILL. @default 2000 */
  killGraceMs?: number;
  /** How long to keep reading after the group was SIGKILLed while something holds its pipes. @default 250 */
  drainMs?: number;
}

export interface GroupRunResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** The last lines of stderr, masked (secrets and token-shaped text): at most 20 lines and 4 KB. */
  stderrTail: string;
}

const POLL_MS = 20;
/** Execs its arguments once it has read the line `go`; exits 125 at EOF (its owner died). */
const GATE = 'IFS= read -r go && [ "$go" = go ] || exit 125\nexec "$@" </dev/null';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Resolves once the group has no live member, or after `ms`; true when it is gone. */
async function groupGone(pgid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (!groupAlive(pgid)) return true;
    if (Date.now() >= deadline) return false;
    await sleep(POLL_MS);
  }
}

/** Stops group `pgid`: SIGTERM, then SIGKILL when it outlives the grace period. */
export async function stopGroup(pgid: number, graceMs: number, drainMs = 250): Promise<void> {
  signalGroup(pgid, "SIGTERM");
  if (await groupGone(pgid, graceMs)) return;
  signalGroup(pgid, "SIGKILL");
  await groupGone(pgid, drainMs);
}

function signalGroup(pgid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pgid, sig);
  } catch {
    // ESRCH: the group is already gone.
  }
}

/** Resolves with how the leader ended; rejects with `signal.reason` when aborted. */
export async function runInProcessGroup(
  argv: readonly string[],
  opts: GroupRunOptions,
): Promise<GroupRunResult> {
  const { signal, killGraceMs = 2000, drainMs = 250 } = opts;
  if (signal.aborted) throw signal.reason;
  const child = spawn("/bin/sh", ["-c", GATE, "stageflow-step", ...argv], {
    cwd: opts.cwd,
    env: opts.env,
    detached: true,
    stdio: ["pipe", "pipe", "pipe"],
  });
  child.stdin.on("error", () => {}); // EPIPE: the gate is gone (killed before it read)
  const pgid = child.pid;
  const watchdog = pgid === undefined ? undefined : watchGroup(pgid, killGraceMs, opts.env.PATH);
  const tail: string[] = [];
  const out = lineReader((l) => opts.onLine("stdout", l), opts.secrets);
  const err = lineReader((l) => {
    tail.push(tailLine(l, opts.secrets));
    if (tail.length > TAIL_LINES) tail.shift();
    opts.onLine("stderr", l);
  }, opts.secrets);
  child.stdout.setEncoding("utf8").on("data", out.push);
  child.stderr.setEncoding("utf8").on("data", err.push);

  const spawned = new Promise<void>((resolve, reject) => {
    child.once("spawn", resolve);
    child.once("error", reject);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, sig) => resolve({ code, signal: sig })),
  );
  const closed = new Promise<void>((resolve) => child.once("close", () => resolve()));
  let onAbort = () => {};
  const aborted = new Promise<"aborted">((resolve) => {
    onAbort = () => resolve("aborted");
    signal.addEventListener("abort", onAbort, { once: true });
  });
  let failure: unknown;
  try {
    await spawned;
    if (opts.beforeStart && pgid !== undefined) {
      const recorded = opts.beforeStart(pgid).then(
        () => "recorded" as const,
        (e: unknown) => {
          failure = e;
          return "failed" as const;
        },
      );
      if ((await Promise.race([recorded, aborted])) !== "recorded") throw failure ?? signal.reason;
    }
    child.stdin.end("go\n");
    const exit = await Promise.race([exited, aborted]);
    if (exit === "aborted") throw signal.reason;
    // The leader is gone: stop what it left in the group, then read what is left in the pipes.
    if (pgid !== undefined) await stopGroup(pgid, killGraceMs, drainMs);
    await Promise.race([closed, sleep(drainMs)]);
    return { exitCode: exit.code, signal: exit.signal, stderrTail: tailText(tail) };
  } catch (e) {
    child.stdin.destroy(); // EOF at the gate: a command that has not started never does
    if (pgid !== undefined) await stopGroup(pgid, killGraceMs, drainMs);
    await Promise.race([closed, sleep(drainMs)]);
    throw e;
  } finally {
    signal.removeEventListener("abort", onAbort);
    watchdog?.release();
    out.end();
    err.end();
    child.stdout.destroy();
    child.stderr.destroy();
  }
}
