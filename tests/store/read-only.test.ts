import { execFile } from "node:child_process";
import { chmod, mkdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { createSqliteJournal } from "../../src/store/index.js";
import { newRun } from "../../src/testing/contract/builders.js";
import { childEntry } from "../support/child-code.js";
import { tempDir } from "./temp.js";

const run = promisify(execFile);
const STORE = childEntry("src/store/index.ts");
const UNPRIVILEGED = childEntry("tests/fixtures/processes/unprivileged.ts");

/**
 * Opens the journal at `path` in a child process and returns what it threw. As root, chmod does
 * not stop writes, so the child becomes the unprivileged user nobody — after it has loaded the
 * code as root, and in a working directory of known modes, so the test does not depend on where
 * the checkout lives (even one that other users cannot enter).
 */
async function openInChild(path: string): Promise<{ name?: string; code?: string; message?: string }> {
  const script = `Promise.all([import(${JSON.stringify(STORE)}), import(${JSON.stringify(UNPRIVILEGED)})]).then(
    ([s, u]) => { u.dropPrivileges(); s.createSqliteJournal({ path: ${JSON.stringify(path)} }).close(); console.log("{}"); },
  ).catch((e) => console.log(JSON.stringify({ name: e.name, code: e.code, message: e.message })));`;
  const cwd = await sharedTempDir();
  const { stdout } = await run(process.execPath, ["-e", script], {
    cwd,
    env: { ...process.env, HOME: cwd },
  });
  return JSON.parse(stdout.trim().split("\n").pop() ?? "{}");
}

/** A temporary directory others can traverse (mkdtemp makes it 0700). */
async function sharedTempDir(): Promise<string> {
  const dir = await tempDir();
  await chmod(dir, 0o755);
  return dir;
}

describe("a read-only journal location", () => {
  it("is a clear StoreError naming the path when the database would be created there", async () => {
    const dir = join(await sharedTempDir(), "ro");
    await mkdir(dir, { mode: 0o555 });
    await chmod(dir, 0o555);
    const path = join(dir, "state.db");
    const error = await openInChild(path);
    expect(error).toMatchObject({ name: "StoreError", code: "read_only" });
    expect(error.message).toContain(`cannot write the journal at ${path}: read-only`);
    expect(error.message).toContain("--db PATH");
  });

  it("is a clear StoreError when an existing journal cannot be written, which stays unchanged", async () => {
    const dir = join(await sharedTempDir(), "ro");
    const path = join(dir, "state.db");
    const journal = createSqliteJournal({ path });
    await journal.createRun(newRun("r1"), []);
    await journal.close();
    await chmod(path, 0o444);
    await chmod(dir, 0o555);
    const before = await stat(path);

    const error = await openInChild(path);
    expect(error).toMatchObject({ name: "StoreError", code: "read_only" });
    expect(error.message).toContain(path);
    expect((await stat(path)).mtimeMs).toBe(before.mtimeMs);
    await chmod(dir, 0o755);
  });
});
