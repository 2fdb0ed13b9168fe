import { type ChildProcess, spawn } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { delivery, example, SECRET, send } from "./intake/support.js";
import { childEntry } from "../support/child-code.js";

const CHILD = join(dirname(fileURLToPath(import.meta.url)), "fixtures/app-child.ts");
const { privateKey } = generateKeyPairSync("rsa", {
  modulusLength: 2048,
  privateKeyEncoding: { type: "pkcs8", format: "pem" },
  publicKeyEncoding: { type: "spki", format: "pem" },
});

let dir: string;
const children: ChildProcess[] = [];
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "stageflow-app-crash-"));
});
afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  await rm(dir, { recursive: true, force: true });
});

interface Child {
  child: ChildProcess;
  port: number;
  exited: Promise<unknown>;
}

/** The app in a child process; resolves once it listens. */
async function startChild(extraEnv: Record<string, string> = {}): Promise<Child> {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env))
    if (!/^(STAGEFLOW_|APP_ID|PRIVATE_KEY|WEBHOOK_|GHE_)/.test(k)) env[k] = v;
  Object.assign(env, {
    APP_ID: "12345",
    PRIVATE_KEY: privateKey,
    WEBHOOK_SECRET: SECRET,
    PORT: "0",
    HOST: "127.0.0.1",
    STAGEFLOW_DB: join(dir, "app.db"),
    STAGEFLOW_RECONCILE_MINUTES: "0",
    HANDLED: join(dir, "handled.txt"),
    ...extraEnv,
  });
  const child = spawn(process.execPath, [childEntry(CHILD)], {
    cwd: dir,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  let out = "";
  const exited = new Promise((r) => child.once("exit", r));
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.setEncoding("utf8").on("data", (d: string) => {
      out += d;
      const m = /listening (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.stderr!.setEncoding("utf8").on("data", (d: string) => (out += d));
    child.once("exit", (code) => reject(new Error(`the app exited (${code}) before listening:\n${out}`)));
  });
  return { child, port, exited };
}

/** Polls (real time: another process is working) until `check` holds. */
async function until(what: string, check: () => boolean, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const lines = (file: string) =>
  existsSync(file) ? readFileSync(file, "utf8").split("\n").filter(Boolean) : [];

function inboxRow(id: string) {
  const db = new Database(join(dir, "app.db"), { readonly: true });
  try {
    return db.prepare("SELECT status, attempts FROM app_inbox WHERE id = ?").get(id);
  } finally {
    db.close();
  }
}

describe("a crash between recording a delivery and its work", () => {
  it("loses nothing: after SIGKILL and a restart the delivery is handled exactly once", async () => {
    const handled = join(dir, "handled.txt");
    const first = await startChild({ BLOCK_HANDLER: "1" });
    const d = await delivery(example("issue_comment", "created"));
    expect((await send(first.port, d)).status).toBe(202);
    await until("the handler to start", () => lines(`${handled}.started`).includes(d.id));
    first.child.kill("SIGKILL");
    await first.exited;
    expect(lines(handled)).toEqual([]);
    expect(inboxRow(d.id)).toEqual({ status: "pending", attempts: 1 });

    const second = await startChild();
    await until("the delivery to be handled", () => lines(handled).length > 0);
    // A redelivery after the restart is answered and changes nothing.
    expect((await send(second.port, d)).status).toBe(200);
    second.child.kill("SIGTERM");
    await second.exited;
    expect(lines(handled)).toEqual([`${d.id} issue_comment`]);
    expect(inboxRow(d.id)).toEqual({ status: "done", attempts: 2 });

    // A third start finds nothing to do.
    const third = await startChild();
    third.child.kill("SIGTERM");
    await third.exited;
    expect(lines(handled)).toEqual([`${d.id} issue_comment`]);
  });
});

describe("npm run app", () => {
  it("answers deliveries and stops on SIGTERM with exit code 0", async () => {
    const bin = join(dirname(fileURLToPath(import.meta.url)), "../../bin/stageflow-app.js");
    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env))
      if (!/^(STAGEFLOW_|APP_ID|PRIVATE_KEY|WEBHOOK_|GHE_)/.test(k)) env[k] = v;
    Object.assign(env, {
      APP_ID: "12345",
      PRIVATE_KEY: privateKey,
      WEBHOOK_SECRET: SECRET,
      PORT: "0",
      HOST: "127.0.0.1",
      LOG_LEVEL: "info",
      STAGEFLOW_RECONCILE_MINUTES: "0",
    });
    const child = spawn(process.execPath, [bin], { cwd: dir, env, stdio: ["ignore", "pipe", "pipe"] });
    children.push(child);
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (out += d));
    const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
    await until("the app to listen", () => /port: \d+/.test(out));
    const port = Number(/port: (\d+)/.exec(out)?.[1]);
    const d = await delivery(example("ping"));
    expect((await send(port, d)).status).toBe(202);
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
    expect(existsSync(join(dir, ".stageflow/app.db"))).toBe(true);
  }, 120_000); // a real app process: its start is slow while other test files share the cores
});
