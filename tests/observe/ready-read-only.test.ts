import { type ChildProcess, spawn } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { childEntry } from "../support/child-code.js";

let gh: Server | undefined;
afterEach(async () => {
  if (gh) await new Promise((r) => gh!.close(r));
  gh = undefined;
});

async function get(port: number, path: string) {
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

// The real app (tests/app/fixtures/app-process.ts: startApp with nothing replaced) in a child
// process. Root writes through any mode bits, so when the tests run as root the app runs as
// nobody (65534) in a directory it owns; the test (root) makes that directory read-only.
const APP = new URL("../app/fixtures/app-process.ts", import.meta.url).pathname;
const asRoot = process.getuid?.() === 0;
const NOBODY = 65534;

describe("/health/ready of the app", () => {
  let child: ChildProcess | undefined;
  let dir: string | undefined;
  afterEach(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child!.once("exit", r));
      child.kill("SIGTERM");
      await exited;
    }
    child = undefined;
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("answers 503 while the journal's directory is read-only, naming the check, and 200 again once it is writable", async () => {
    dir = mkdtempSync(join(tmpdir(), "stageflow-ready-"));
    const dbDir = join(dir, "state");
    mkdirSync(dbDir, { mode: 0o755 });
    if (asRoot) {
      chownSync(dir, NOBODY, NOBODY);
      chownSync(dbDir, NOBODY, NOBODY);
    }
    // GitHub: a loopback server answering GET /api/v3/app, for the "GitHub API reachable" check.
    gh = createServer((_req, res) => res.writeHead(200, { "content-type": "application/json" }).end("{}"));
    await new Promise<void>((r) => gh!.listen(0, "127.0.0.1", r));
    const ghPort = (gh.address() as AddressInfo).port;
    const { privateKey } = generateKeyPairSync("rsa", {
      modulusLength: 2048,
      privateKeyEncoding: { type: "pkcs8", format: "pem" },
      publicKeyEncoding: { type: "spki", format: "pem" },
    });
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: dir,
      APP_ID: "1",
      PRIVATE_KEY: privateKey,
      WEBHOOK_SECRET: "secret",
      PORT: "0",
      HOST: "127.0.0.1",
      GHE_HOST: `127.0.0.1:${ghPort}`,
      GHE_PROTOCOL: "http",
      LOG_LEVEL: "warn",
      STAGEFLOW_DB: join(dbDir, "app.db"),
      STAGEFLOW_RECONCILE_MINUTES: "0",
      STAGEFLOW_APP_SLUG: "stageflow",
    };
    child = spawn(process.execPath, [childEntry(APP)], {
      cwd: dir,
      env,
      stdio: ["ignore", "pipe", "pipe"],
      ...(asRoot ? { uid: NOBODY, gid: NOBODY } : {}),
    });
    let out = "";
    const port = await new Promise<number>((resolve, reject) => {
      child!.stdout!.setEncoding("utf8").on("data", (d: string) => {
        out += d;
        const m = /STAGEFLOW_TEST_PORT=(\d+)/.exec(out);
        if (m) resolve(Number(m[1]));
      });
      child!.stderr!.setEncoding("utf8").on("data", (d: string) => (out += d));
      child!.once("exit", (code) => reject(new Error(`the app exited (${code}) before listening:\n${out}`)));
    });

    expect(await get(port, "/health/live")).toEqual({ status: 200, body: { status: "alive" } });
    expect(await get(port, "/health/ready")).toEqual({ status: 200, body: { status: "ready" } });
    const healthy = await get(port, "/health");
    expect(healthy.body?.checks).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: "journal writable", state: "pass" }),
        expect.objectContaining({ name: "journal integrity", state: "pass" }),
        expect.objectContaining({ name: "inbox lag", state: "pass" }),
        expect.objectContaining({ name: "GitHub API reachable", state: "pass" }),
      ]),
    );

    // /sla: the host's availability counts the two evaluations above (both ready).
    const sla = await get(port, "/sla");
    expect(sla.status).toBe(200);
    expect(sla.body.slas).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: "host: availability", value: 1, samples: 2, verdict: "met" }),
      ]),
    );

    chmodSync(dbDir, 0o555);
    const ready = await get(port, "/health/ready");
    expect(ready.status).toBe(503);
    expect(ready.body).toMatchObject({
      status: "not_ready",
      failing: [
        {
          name: "journal writable",
          message: expect.stringMatching(/^journal writable: cannot write in .*EACCES/),
        },
      ],
    });
    const health = await get(port, "/health");
    expect(health.status).toBe(503);
    expect(health.body).toMatchObject({ status: "CRITICAL", ready: false });

    chmodSync(dbDir, 0o755);
    expect(await get(port, "/health/ready")).toEqual({ status: 200, body: { status: "ready" } });
  }, 30_000);
});
