import { execFile } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { childEntry } from "../support/child-code.js";
import { tempDir } from "./helpers.js";

/** The real CLI in a child process (not a terminal): exit code, stdout, stderr. */
function spawnCli(cwd: string, ...args: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [childEntry("src/cli/bin.ts"), ...args],
      { cwd, env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "" }, timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error ? ((error as { code?: unknown }).code as number) : 0;
        resolve({ code: typeof code === "number" ? code : -1, out: stdout, err: stderr });
      },
    );
  });
}

describe("stageflow as a child process", () => {
  const tmp = tempDir();
  beforeAll(() => {
    tmp.write(
      "ok.yml",
      "name: ok\nstages:\n  - id: s\n    steps:\n      - id: hello\n        run: echo hello\n",
    );
    tmp.write("bad.yml", "name: bad\nstages:\n  - id: s\n    steps:\n      - id: x\n        runn: echo\n");
    tmp.write("fail.yml", "name: fail\nstages:\n  - id: s\n    steps:\n      - id: x\n        run: exit 1\n");
    tmp.write("notes.txt", "not a database\n");
  });
  afterAll(() => tmp.cleanup());

  it("prints plain lines when stdout is not a terminal and exits 0 on success", async () => {
    const r = await spawnCli(tmp.dir, "run", "ok.yml", "--db", "state.db");
    expect(r.code).toBe(0);
    expect(r.out).not.toContain("\x1b[");
    const progress = r.out.split("\n\n")[0]?.split("\n") ?? [];
    expect(progress.length).toBeGreaterThanOrEqual(6);
    for (const line of progress) expect(line).toMatch(/^\d\d:\d\d:\d\d\.\d{3} \S+ /);
    expect(r.out).toMatch(/s\/hello succeeded \(\d+m?s\)/);
  });

  it("exits 1 for a failed run, 2 for an invalid file under validate and under run, 3 for a bad db", async () => {
    const [failed, validate, run, db] = await Promise.all([
      spawnCli(tmp.dir, "run", "fail.yml", "--db", "other.db"),
      spawnCli(tmp.dir, "validate", "bad.yml"),
      spawnCli(tmp.dir, "run", "bad.yml", "--db", "third.db"),
      spawnCli(tmp.dir, "status", "--db", "notes.txt"),
    ]);
    expect(failed.code).toBe(1);
    expect(validate.code).toBe(2);
    expect(validate.out).toMatch(/^bad\.yml:6:9 /m);
    expect(run.code).toBe(2);
    expect(run.err).toMatch(/^bad\.yml:6:9 /m);
    expect(db.code).toBe(3);
  });
});
