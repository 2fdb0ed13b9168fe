/**
 * The crash tests' harness: the real app (tests/app/fixtures/app-process.ts) in a child process
 * (transpiled: tests/support/child-code.ts), talking to the loopback GitHub (tests/support/fake-github.ts) as to a GitHub
 * Enterprise Server, with its SQLite file in a temporary directory that is also its working
 * directory (where `run` steps leave their side effects). Children are killed by `cleanup`.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import type { FakeGitHub } from "../../support/fake-github.js";
import { SECRET } from "../intake/support.js";
import { childEntry } from "../../support/child-code.js";

const CHILD = join(dirname(fileURLToPath(import.meta.url)), "../fixtures/app-process.ts");

/** The app's key, made for the tests (no secret in a fixture). */
export const { privateKey } = generateKeyPairSync("rsa", {
  modulusLength: 2048,
  privateKeyEncoding: { type: "pkcs8", format: "pem" },
  publicKeyEncoding: { type: "spki", format: "pem" },
});

export interface AppProcess {
  child: ChildProcess;
  port: number;
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  /** What it printed (stdout and stderr), for failure messages. */
  output(): string;
}

const children: ChildProcess[] = [];

/** SIGKILLs every child still alive (afterEach). */
export async function cleanup(): Promise<void> {
  const alive = children.splice(0).filter((c) => c.exitCode === null && c.signalCode === null);
  await Promise.all(
    alive.map((c) => {
      const gone = new Promise((r) => c.once("exit", r));
      c.kill("SIGKILL");
      return gone;
    }),
  );
}

export interface StartOptions {
  /** The temporary directory: working directory and home of `app.db`. */
  dir: string;
  gh: FakeGitHub;
  env?: Record<string, string>;
}

/** Starts the app in a child process; resolves once it listens. */
export async function startAppProcess({ dir, gh, env: extra = {} }: StartOptions): Promise<AppProcess> {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env))
    if (!/^(STAGEFLOW_|APP_ID|PRIVATE_KEY|WEBHOOK_|GHE_|CRASH_|LOG_LEVEL)/.test(k)) env[k] = v;
  Object.assign(env, {
    APP_ID: "1",
    PRIVATE_KEY: privateKey,
    WEBHOOK_SECRET: SECRET,
    PORT: "0",
    HOST: "127.0.0.1",
    GHE_HOST: gh.host,
    GHE_PROTOCOL: "http",
    LOG_LEVEL: "warn",
    STAGEFLOW_APP_SLUG: "stageflow",
    STAGEFLOW_DB: join(dir, "app.db"),
    STAGEFLOW_ALLOW_RUN_STEPS: "1",
    STAGEFLOW_RECONCILE_MINUTES: "0",
    ...extra,
  });
  const child = spawn(process.execPath, [childEntry(CHILD)], {
    cwd: dir,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  let out = "";
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.setEncoding("utf8").on("data", (d: string) => {
      out += d;
      const m = /STAGEFLOW_TEST_PORT=(\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.stderr!.setEncoding("utf8").on("data", (d: string) => (out += d));
    child.once("exit", (code) => reject(new Error(`the app exited (${code}) before listening:\n${out}`)));
  });
  return { child, port, exited, output: () => out };
}

/** SIGKILL, and waits until the process is gone. */
export async function crash(app: AppProcess): Promise<void> {
  app.child.kill("SIGKILL");
  await app.exited;
}

/** SIGTERM (the app closes: the reporter writes what is pending); resolves with the exit code. */
export async function stop(app: AppProcess): Promise<number | null> {
  app.child.kill("SIGTERM");
  return app.exited;
}

/** Polls (real time: another process is working) until `check` holds. */
export async function until(
  what: string,
  check: () => boolean,
  ms = 20_000,
  app?: AppProcess,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${app ? `; the app printed:\n${app.output()}` : ""}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** The non-empty lines of a file ([] when it does not exist). */
export const lines = (file: string): string[] =>
  existsSync(file) ? readFileSync(file, "utf8").split("\n").filter(Boolean) : [];

export interface RunRow {
  id: string;
  workflow: string;
  status: string;
  run_key: string | null;
  metadata: Record<string, unknown>;
}

function query<T>(dir: string, sql: string, ...params: unknown[]): T[] {
  const db = new Database(join(dir, "app.db"), { readonly: true, fileMustExist: true });
  try {
    return db.prepare(sql).all(...params) as T[];
  } finally {
    db.close();
  }
}

/** The journal's runs, oldest first (read from the SQLite file; the app is stopped). */
export function runs(dir: string): RunRow[] {
  return query<Omit<RunRow, "metadata"> & { metadata: string }>(
    dir,
    "SELECT id, workflow, status, run_key, metadata FROM runs ORDER BY created_at, id",
  ).map((r) => ({ ...r, metadata: JSON.parse(r.metadata) as Record<string, unknown> }));
}

/** A delivery's inbox row. */
export function inboxRow(dir: string, id: string): { status: string; attempts: number } | undefined {
  return query<{ status: string; attempts: number }>(
    dir,
    "SELECT status, attempts FROM app_inbox WHERE id = ?",
    id,
  )[0];
}

/** The status comments the app wrote (bodies with a run marker). */
export function statusComments(gh: FakeGitHub) {
  return [...gh.comments.values()].filter((c) => c.body.includes("<!-- stageflow:run:"));
}
