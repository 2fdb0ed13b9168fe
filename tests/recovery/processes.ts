/**
 * Real `stageflow` processes for the process-group tests: start the CLI, read what its journal
 * recorded (read-only), find processes by their command line, read the markers a step wrote.
 */
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { childEntry } from "../support/child-code.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const BIN = childEntry("src/cli/bin.ts");
export const MARKERS_WORKFLOW = join(ROOT, "tests/fixtures/processes/markers.yml");
const MARKER_SCRIPT = join(ROOT, "tests/fixtures/processes/markers.mjs");

export interface Cli {
  child: ChildProcessWithoutNullStreams;
  out(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** `stageflow ...args` in its own process, with the markers file for the fixture workflow. */
export function cli(dir: string, markers: string, ...args: string[]): Cli {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("STAGEFLOW_")) env[k] = v;
  Object.assign(env, { MARKERS: markers, MARKER_NODE: process.execPath, MARKER_SCRIPT, NO_COLOR: "1" });
  const child = spawn(process.execPath, [BIN, ...args], { cwd: dir, env, stdio: "pipe" });
  let out = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
  child.stderr.setEncoding("utf8").on("data", (d: string) => (out += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) =>
    child.once("exit", (code, signal) => res({ code, signal })),
  );
  return { child, out: () => out, exited };
}

/** Polls `check` (real time) until it returns a value; fails after `ms`. */
export async function until<T>(what: string, check: () => T | undefined | false, ms = 45_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export interface Marker {
  attempt: number;
  pid: number;
  at: number;
}

export function readMarkers(file: string): Marker[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => /^\d+ \d+ \d+$/.test(l))
    .map((l) => {
      const [attempt, pid, at] = l.split(" ").map(Number) as [number, number, number];
      return { attempt, pid, at };
    });
}

/** What the journal says (read-only connection: the CLI may be writing). */
export function journal(db: string) {
  const read = <T>(fn: (conn: Database.Database) => T): T => {
    const conn = new Database(db, { readonly: true, fileMustExist: true });
    try {
      return fn(conn);
    } finally {
      conn.close();
    }
  };
  return {
    runId: () => read((c) => (c.prepare("SELECT id FROM runs").get() as { id: string } | undefined)?.id),
    run: () =>
      read(
        (c) =>
          c.prepare("SELECT id, status, lease_owner AS leaseOwner FROM runs").get() as
            { id: string; status: string; leaseOwner: string | null } | undefined,
      ),
    /** The process groups recorded, by attempt. */
    groups: () =>
      read((c) =>
        (
          c.prepare("SELECT attempt, process FROM processes ORDER BY rowid").all() as {
            attempt: number;
            process: string;
          }[]
        ).map((r) => ({
          attempt: r.attempt,
          pgid: (JSON.parse(r.process) as { pgid: number }).pgid,
        })),
      ),
    attempts: () =>
      read(
        (c) =>
          c
            .prepare("SELECT step_id AS stepId, attempt, status, reason FROM attempts ORDER BY attempt")
            .all() as { stepId: string; attempt: number; status: string; reason: string | null }[],
      ),
  };
}

/**
 * Pids of live processes whose command line contains every one of `words` and, when given, whose
 * parent is `parent` (Linux: /proc).
 */
export function findProcesses(words: string[], parent?: number): number[] {
  const found: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const cmd = readFileSync(`/proc/${name}/cmdline`, "utf8").split("\0");
      const state = readFileSync(`/proc/${name}/stat`, "utf8");
      const [status, ppid] = state.slice(state.lastIndexOf(")") + 2).split(" ");
      if (status === "Z" || (parent !== undefined && Number(ppid) !== parent)) continue;
      if (words.every((w) => cmd.includes(w))) found.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}
