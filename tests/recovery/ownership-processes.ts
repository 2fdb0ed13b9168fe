/** Real child processes for the ownership tests: their exits and their lines. */
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { childEntry } from "../support/child-code.js";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const BIN = join(ROOT, "src/cli/bin.ts");

/** Our environment without stageflow configuration (and with `extra`). */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("STAGEFLOW_")) env[k] = v;
  return { ...env, ...extra };
}

export interface Proc {
  child: ChildProcessWithoutNullStreams;
  out(): string;
  err(): string;
  /** The next stdout line (waits at most `timeoutMs`). */
  line(timeoutMs?: number): Promise<string>;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * `node file ...rest` in `cwd`, the file (a source or fixture) run transpiled (tests/support/child-code.ts);
 * its output collected, its lines readable one by one.
 */
export function node(args: string[], cwd: string, env: NodeJS.ProcessEnv): Proc {
  const [file = "", ...rest] = args;
  const child = spawn(process.execPath, [childEntry(file), ...rest], { cwd, env, stdio: "pipe" });
  let out = "";
  let err = "";
  let pending = "";
  const lines: string[] = [];
  const waiters: Array<() => void> = [];
  child.stdout.setEncoding("utf8").on("data", (d: string) => {
    out += d;
    pending += d;
    for (let nl = pending.indexOf("\n"); nl >= 0; nl = pending.indexOf("\n")) {
      lines.push(pending.slice(0, nl));
      pending = pending.slice(nl + 1);
    }
    for (const w of waiters.splice(0)) w();
  });
  child.stderr.setEncoding("utf8").on("data", (d: string) => (err += d));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) =>
    child.once("exit", (code, signal) => {
      res({ code, signal });
      for (const w of waiters.splice(0)) w();
    }),
  );
  let ended = false;
  void exit.then(() => (ended = true));
  const line = async (timeoutMs = 30_000): Promise<string> => {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const next = lines.shift();
      if (next !== undefined) return next;
      if (ended || Date.now() > end)
        throw new Error(`no line from the child\nstdout: ${out}\nstderr: ${err}`);
      await new Promise<void>((res) => {
        waiters.push(res);
        setTimeout(res, 200);
      });
    }
  };
  return { child, out: () => out, err: () => err, line, exit };
}

/** `stageflow ...args` in its own process; resolves when it exits. */
export async function cli(args: string[], cwd: string, env: NodeJS.ProcessEnv, timeoutMs = 40_000) {
  const p = node([BIN, ...args], cwd, env);
  const timer = setTimeout(() => p.child.kill("SIGKILL"), timeoutMs);
  const e = await p.exit;
  clearTimeout(timer);
  return { ...e, out: p.out(), err: p.err() };
}

/** Polls `check` every 50 ms until it holds (bounded: throws after `timeoutMs`). */
export async function until(check: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 50));
  }
}
