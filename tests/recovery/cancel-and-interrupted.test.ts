/**
 * Cancel and interrupted runs, with real processes. A `stageflow cancel` from another process
 * stops a run within about a second (the engine polls for it every 500 ms), long before its lease
 * renewal; the run, its stage and its step end `cancelled`, and its work directory is removed —
 * also when nothing executes the run any more (its process was stopped by SIGTERM). A run whose
 * process was SIGKILLed shows `interrupted` in `status`, with a resume command that works as
 * printed.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { shortId } from "../../src/cli/render/format.js";
import { BIN, cleanEnv, cli, node, type Proc, until } from "./ownership-processes.js";

/** Leases of 2 minutes: renewed every 40 s, far beyond every wait below. */
const LEASE_MS = "120000";

/** The run id and its first attempt's status, read without writing. */
function peek(db: string): { runId?: string; attempt?: string } {
  if (!existsSync(db)) return {};
  const conn = new Database(db, { readonly: true, fileMustExist: true });
  try {
    const run = conn.prepare("SELECT id FROM runs").get() as { id: string } | undefined;
    const attempt = conn.prepare("SELECT status FROM attempts").get() as { status: string } | undefined;
    return { runId: run?.id, attempt: attempt?.status };
  } catch {
    return {}; // not created yet
  } finally {
    conn.close();
  }
}

describe("cancel and interrupted runs (real processes)", () => {
  const dirs: string[] = [];
  const procs: Proc[] = [];
  afterAll(() => {
    for (const p of procs)
      if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill("SIGKILL");
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  const tempDir = () => {
    const dir = mkdtempSync(join(tmpdir(), "stageflow-cancel-"));
    dirs.push(dir);
    return dir;
  };

  it("`stageflow cancel` from another process ends a running run cancelled within a second or so", async () => {
    const dir = tempDir();
    const db = join(dir, "state.db");
    writeFileSync(
      join(dir, "long.yml"),
      "name: long\nstages:\n  - id: work\n    steps:\n      - id: long\n        run: sleep 60\n      - id: after\n        run: 'true'\n",
    );
    const env = cleanEnv();
    const running = node([BIN, "run", "long.yml", "--db", db, "--lease-ms", LEASE_MS], dir, env);
    procs.push(running);
    let runId: string | undefined;
    await until(() => {
      const seen = peek(db);
      runId = seen.runId;
      return seen.attempt === "running";
    });
    const cancelled = await cli(["cancel", runId as string, "--db", db], dir, env);
    expect(cancelled, cancelled.err).toMatchObject({ code: 0 });
    expect(cancelled.out).toBe(`run ${runId} cancelled\n`);
    // The run's process ended it long before its first lease renewal (40 s), with exit code 1.
    const exit = await Promise.race([
      running.exit,
      new Promise<"still running">((r) => setTimeout(() => r("still running"), 20_000)),
    ]);
    expect(exit, running.err()).toEqual({ code: 1, signal: null });

    const shown = await cli(["status", runId as string, "--db", db, "--json"], dir, env);
    const report = JSON.parse(shown.out) as {
      status: string;
      stages: Array<{ status: string }>;
      steps: Array<{ id: string; status: string }>;
    };
    expect(report.status).toBe("cancelled");
    expect(report.stages.map((s) => s.status)).toEqual(["cancelled"]);
    expect(report.steps.map((s) => [s.id, s.status])).toEqual([
      ["long", "cancelled"],
      ["after", "pending"],
    ]);
    expect(existsSync(join(dir, "work", runId as string)), "the cancelled run's work directory").toBe(false);
  }, 60_000);

  it("`stageflow cancel` of a run stopped by SIGTERM removes its work files: no secret output is left", async () => {
    const dir = tempDir();
    const db = join(dir, "state.db");
    const secret = "hunter2-very-secret";
    writeFileSync(
      join(dir, "leak.yml"),
      [
        "name: leak",
        "inputs:",
        "  key: { type: string, secret: true, required: true }",
        "stages:",
        "  - id: s",
        "    steps:",
        "      - id: a",
        "        run: |",
        '          echo "token=$INPUT_KEY" >> "$STAGEFLOW_OUTPUT"',
        "          sleep 60",
        "",
      ].join("\n"),
    );
    const env = cleanEnv();
    const running = node([BIN, "run", "leak.yml", "--db", db, "--input", `key=${secret}`], dir, env);
    procs.push(running);
    let runId: string | undefined;
    /** The step's outputs file, once the command has written the secret to it. */
    const written = () => {
      runId = peek(db).runId;
      const work = join(dir, "work", runId ?? "?");
      if (!existsSync(work)) return false;
      return readdirSync(work).some((f) => readFileSync(join(work, f), "utf8").includes(secret));
    };
    await until(written);
    const work = join(dir, "work", runId as string);

    running.child.kill("SIGTERM");
    expect(await running.exit, running.err()).toEqual({ code: 143, signal: null });
    // The aborted attempt took its outputs file with it; the run stays resumable, its directory kept.
    expect(readdirSync(work)).toEqual([]);

    const cancelled = await cli(["cancel", runId as string, "--db", db], dir, env);
    expect(cancelled, cancelled.err).toMatchObject({ code: 0, out: `run ${runId} cancelled\n` });
    const shown = await cli(["status", runId as string, "--db", db, "--json"], dir, env);
    expect((JSON.parse(shown.out) as { status: string }).status).toBe("cancelled");
    expect(existsSync(work), "the cancelled run's work directory").toBe(false);
  }, 60_000);

  it("`status` shows a SIGKILLed run as interrupted, and its resume hint works as printed", async () => {
    const dir = tempDir();
    const db = join(dir, "state.db");
    const once = join(dir, "slept");
    // The first execution sleeps (and is killed); the resumed one finishes at once.
    writeFileSync(
      join(dir, "nap.yml"),
      `name: nap\nstages:\n  - id: work\n    steps:\n      - id: nap\n        run: 'if [ ! -e "${once}" ]; then touch "${once}"; sleep 20; fi'\n`,
    );
    const env = cleanEnv();
    const running = node([BIN, "run", "nap.yml", "--db", db], dir, env);
    procs.push(running);
    let runId: string | undefined;
    // Killed once its command is past the `touch` (a kill before it, on a loaded machine, left
    // the resumed run to sleep the 20 s itself).
    await until(() => {
      const seen = peek(db);
      runId = seen.runId;
      return seen.attempt === "running" && existsSync(once);
    });
    running.child.kill("SIGKILL");
    expect(await running.exit).toEqual({ code: null, signal: "SIGKILL" });

    const list = await cli(["status", "--db", db], dir, env);
    expect(list.code).toBe(0);
    expect(list.out).toMatch(new RegExp(`${shortId(runId as string)}\\s+nap\\s+⊘ interrupted`));
    expect(list.out).not.toMatch(/running/);
    const hint = /resume with: (.+)$/m.exec(list.out)?.[1];
    // `npx stageflow` when the test itself runs under npm; the journal as the flag named it.
    expect(hint).toMatch(new RegExp(`^(npx )?stageflow resume ${runId} --db state\\.db$`));

    const one = await cli(["status", runId as string, "--db", db], dir, env);
    expect(one.out).toMatch(/^status {4}⊘ interrupted \(owner \S+ is gone\)$/m);
    expect(one.out).toContain(`resume with: ${hint}`);
    const json = JSON.parse((await cli(["status", runId as string, "--db", db, "--json"], dir, env)).out);
    expect(json.status).toBe("interrupted");

    // The hint, run as printed (from the same directory).
    const args = (hint as string).replace(/^(npx )?stageflow /, "").split(" ");
    const resumed = await cli(args, dir, env);
    expect(resumed, resumed.err).toMatchObject({ code: 0 });
    expect(
      JSON.parse((await cli(["status", runId as string, "--db", db, "--json"], dir, env)).out).status,
    ).toBe("succeeded");
  }, 60_000);
});
