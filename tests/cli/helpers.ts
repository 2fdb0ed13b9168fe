import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CliIo, StopSignal } from "../../src/cli/io.js";
import { run } from "../../src/cli/main.js";

export interface CapturedIo extends CliIo {
  out(): string;
  err(): string;
  /** Simulates Ctrl-C (or, given "SIGTERM", a SIGTERM). */
  interrupt(signal?: StopSignal): void;
}

/** An io that captures stdout and stderr, with its own environment and cwd. */
export function captureIo(cwd: string, env: Record<string, string> = {}, isTTY = false): CapturedIo {
  let out = "";
  let err = "";
  const listeners = new Set<(signal?: StopSignal) => void>();
  return {
    stdout: { write: (text: string) => (out += text) },
    stderr: { write: (text: string) => (err += text) },
    env,
    cwd,
    isTTY,
    onInterrupt(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    out: () => out,
    err: () => err,
    interrupt: (signal) => {
      for (const l of listeners) l(signal);
    },
  };
}

/** A temporary directory with helpers to write files into it; removed by `cleanup()`. */
export function tempDir(prefix = "stageflow-cli-") {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return {
    dir,
    path: (name: string) => join(dir, name),
    write(name: string, text: string): string {
      const path = join(dir, name);
      writeFileSync(path, text);
      return path;
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Runs `stageflow ...args` in-process; returns the exit code and what was printed. */
export async function stageflow(io: CapturedIo, ...args: string[]) {
  const code = await run(["node", "stageflow", ...args], io);
  return { code, out: io.out(), err: io.err() };
}
