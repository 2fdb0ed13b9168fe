import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { parse } from "yaml";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill("SIGKILL");
});

const manifest = () => parse(readFileSync(join(ROOT, "app.yml"), "utf8")) as Record<string, unknown>;

/** A port free a moment ago. */
function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once("error", rej);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => res(port));
    });
  });
}

describe("app.yml", () => {
  it("subscribes to the events the app handles and asks for the least permissions", () => {
    const m = manifest();
    expect(m.public).toBe(false);
    expect(m.default_events).toEqual([
      "issues",
      "issue_comment",
      "pull_request",
      "check_run",
      "workflow_run",
      "push",
    ]);
    expect(m.default_permissions).toEqual({
      checks: "write",
      issues: "write",
      pull_requests: "write",
      contents: "read",
      actions: "write",
      metadata: "read",
      members: "read",
    });
  });
});

describe("npm run app without APP_ID", () => {
  it("says so and serves Probot's set-up page with the manifest from app.yml", async () => {
    const port = await freePort();
    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) {
      if (!/^(APP_ID|PRIVATE_KEY|WEBHOOK_|GHE_|NODE_ENV)/.test(k)) env[k] = v;
    }
    Object.assign(env, { PORT: String(port), NO_SMEE_SETUP: "true", LOG_LEVEL: "info" });
    const child = spawn(process.execPath, [join(ROOT, "bin/stageflow-app.js")], {
      cwd: ROOT,
      env,
      stdio: "pipe",
    });
    children.push(child);
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (out += d));
    let page = "";
    const deadline = Date.now() + 30_000;
    while (!page && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      page = await fetch(`http://127.0.0.1:${port}/probot`).then(
        (r) => r.text(),
        () => "",
      );
    }
    expect(out).toMatch(/no APP_ID is set/);
    expect(out).toMatch(new RegExp(`http://localhost:${port}/probot`));
    const value = /name="manifest" id="manifest" value='([^']*)'/.exec(page)?.[1];
    const sent = JSON.parse(value ?? "null") as Record<string, unknown>;
    expect(sent).toMatchObject({
      name: "stageflow",
      public: false,
      default_events: manifest().default_events,
      default_permissions: manifest().default_permissions,
    });
  });
});
