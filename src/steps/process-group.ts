/**
 * Runs a command as the leader of its own process group, streams its output line by line, and on
 * abort stops the whole group: SIGTERM, then SIGKILL after a grace period. Timers here are real
 * (setTimeout), not the engine Clock: they manage OS processes, which a fake clock cannot pause.
 */
import { spawn } from "node:child_process";

export interface GroupRunOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  signal: AbortSignal;
  onLine(stream: "stdout" | "stderr", line: string): void;
  /** Between SIGTERM and SIGKILL. @default 2000 */
  killGraceMs?: number;
  /** How long to keep reading after the leader exited (or was SIGKILLed) while others hold its pipes. @default 250 */
  drainMs?: number;
}

export interface GroupRunResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** The last lines of stderr: at most 20 lines and 4 KB. */
  stderrTail: string;
}

const TAIL_LINES = 20;
const TAIL_BYTES = 4096;
const MAX_LINE = 64 * 1024;

/** Resolves with how the leader ended; rejects with `signal.reason` when aborted. */
export function runInProcessGroup(argv: readonly string[], opts: GroupRunOptions): Promise<GroupRunResult> {
  const { signal, killGraceMs = 2000, drainMs = 250 } = opts;
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const [file, ...args] = argv as [string, ...string[]];
    const child = spawn(file, args, {
      cwd: opts.cwd,
      env: opts.env,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const tail: string[] = [];
    const out = lineReader((l) => opts.onLine("stdout", l));
    const err = lineReader((l) => {
      tail.push(l.length > TAIL_BYTES ? l.slice(-TAIL_BYTES) : l);
      if (tail.length > TAIL_LINES) tail.shift();
      opts.onLine("stderr", l);
    });
    child.stdout.setEncoding("utf8").on("data", out.push);
    child.stderr.setEncoding("utf8").on("data", err.push);

    let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    let settled = false;
    const timers: NodeJS.Timeout[] = [];
    const killGroup = (sig: NodeJS.Signals) => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, sig);
      } catch {
        // ESRCH: the group is already gone.
      }
    };
    const onAbort = () => {
      killGroup("SIGTERM");
      timers.push(
        setTimeout(() => {
          killGroup("SIGKILL");
          timers.push(setTimeout(() => finish(), drainMs));
        }, killGraceMs),
      );
    };
    const finish = (error?: Error) => {
      if (settled) return;
      settled = true;
      for (const t of timers) clearTimeout(t);
      signal.removeEventListener("abort", onAbort);
      out.end();
      err.end();
      child.stdout.destroy();
      child.stderr.destroy();
      if (signal.aborted) reject(signal.reason);
      else if (error || !exit) reject(error ?? new Error("command ended without an exit status"));
      else resolve({ exitCode: exit.code, signal: exit.signal, stderrTail: tailText(tail) });
    };
    signal.addEventListener("abort", onAbort, { once: true });
    child.on("error", (e) => finish(e));
    child.on("exit", (code, sig) => {
      exit = { code, signal: sig };
      // Background processes may keep the pipes open; do not wait for them unless aborting.
      if (!signal.aborted) timers.push(setTimeout(() => finish(), drainMs));
    });
    child.on("close", () => finish());
  });
}

function lineReader(emit: (line: string) => void) {
  let partial = "";
  return {
    push(chunk: string) {
      const parts = (partial + chunk).split("\n");
      partial = parts.pop() ?? "";
      for (const p of parts) emit(p.endsWith("\r") ? p.slice(0, -1) : p);
      if (partial.length > MAX_LINE) {
        emit(partial);
        partial = "";
      }
    },
    end() {
      if (partial) emit(partial);
      partial = "";
    },
  };
}

function tailText(lines: string[]): string {
  const text = lines.join("\n").trimEnd();
  return text.length > TAIL_BYTES ? text.slice(-TAIL_BYTES) : text;
}
