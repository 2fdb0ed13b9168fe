import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { captureIo, stageflow, tempDir } from "./helpers.js";

const GHP = `ghp_${"T0k3n".repeat(8)}`;

const workflow = (markFile: string) => `name: e2e
inputs:
  version: { type: string, required: true }
  api_token: { type: string, default: "" }
stages:
  - id: prepare
    steps:
      - id: check
        run: echo "version=\${{ inputs.version }}" >> "$STAGEFLOW_OUTPUT"
  - id: build
    mode: parallel
    steps:
      - id: linux
        run: echo built
      - id: flaky
        run: test -f "$MARK" || (touch "$MARK" && exit 3)
        env: { MARK: "${markFile}" }
        retry: { max_attempts: 3, base_delay: 10ms }
`;

describe("stageflow end to end (in-process)", () => {
  let tmp: ReturnType<typeof tempDir>;
  let db: string;
  const cli = async (...args: string[]) => stageflow(captureIo(tmp.dir, { STAGEFLOW_API_KEY: "k" }), ...args);

  beforeEach(() => {
    tmp = tempDir();
    db = tmp.path("state/journal.db");
    tmp.write("e2e.yml", workflow(tmp.path("mark")));
  });
  afterEach(() => tmp.cleanup());

  it("runs a workflow, then status, history and diagnostics describe it", async () => {
    const ran = await cli(
      "run",
      "e2e.yml",
      "--db",
      db,
      "--input",
      "version=1.2.3",
      "--input",
      `api_token=${GHP}`,
    );
    expect(ran.err).toBe("");
    expect(ran.code).toBe(0);
    const lines = ran.out.split("\n");
    expect(lines[0]).toMatch(/^\d\d:\d\d:\d\d\.\d{3} run started \(workflow e2e, cli\)$/);
    // One line for the failure and the decision, not two.
    expect(ran.out).toMatch(
      /\d{3} build\/flaky attempt 1 failed → retry in \d+ms \(unknown, step retry policy\): command failed with exit code 3/,
    );
    expect(ran.out).not.toMatch(/flaky retrying in/);
    expect(ran.out).toMatch(/\d{3} build\/flaky succeeded \(\d+m?s, 2 attempts: 1 retry\)/);
    expect(ran.out).toMatch(/status {4}✔ succeeded\n/);
    expect(ran.out).toMatch(/✔ flaky\s+succeeded\s+2 \(1 retry\)/);
    expect(ran.out).not.toContain("\x1b[");

    const status = await cli("status", "--db", db, "--json");
    expect(status.code).toBe(0);
    const runs = JSON.parse(status.out) as Array<Record<string, unknown>>;
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({
      workflow: "e2e",
      status: "succeeded",
      reason: "succeeded",
      key: null,
      metadata: {},
    });
    expect(runs[0]?.steps).toEqual([
      expect.objectContaining({
        id: "check",
        stage: "prepare",
        status: "succeeded",
        attempts: 1,
        outputs: { version: "1.2.3" },
      }),
      expect.objectContaining({ id: "linux", stage: "build", status: "succeeded", attempts: 1 }),
      expect.objectContaining({ id: "flaky", stage: "build", status: "succeeded", attempts: 2 }),
    ]);
    const id = runs[0]?.id as string;

    const table = await cli("status", "--db", db);
    expect(table.out).toMatch(new RegExp(`^${id.slice(-8)}\\s+e2e\\s+✔ succeeded`, "m"));
    const one = await cli("status", id.slice(0, 8), "--db", db);
    expect(one.out).toContain(`run ${id} (e2e)`);

    const history = await cli("history", id, "--db", db, "--json");
    const events = JSON.parse(history.out) as Array<{ type: string; seq: number }>;
    expect(events[0]?.type).toBe("run.started");
    expect(events.at(-1)?.type).toBe("run.succeeded");
    expect(events.map((e) => e.seq)).toEqual([...events.map((e) => e.seq)].sort((a, b) => a - b));
    expect(events.map((e) => e.type)).toContain("step.retrying");
    expect(JSON.stringify(events)).not.toContain(GHP);
    const timeline = await cli("history", id, "--db", db);
    expect(timeline.out.split("\n")[2]).toMatch(/^\+0\.000s\s+run\.started\s+run\s+workflow e2e, cli$/);
    expect(timeline.out).toMatch(/step\.retrying\s+build\/flaky\s+retrying in \d+ms, attempt 1 failed\n/);

    // Over an existing file others may read: the bundle is still owner-only.
    mkdirSync(tmp.path("support"));
    writeFileSync(tmp.path("support/bundle.json"), "old", { mode: 0o644 });
    const diag = await cli("diagnostics", id, "--db", db, "--out", "support/bundle.json");
    expect(diag.code).toBe(0);
    expect(diag.out.trim()).toBe(tmp.path("support/bundle.json"));
    expect(statSync(tmp.path("support/bundle.json")).mode & 0o777).toBe(0o600);
    const text = readFileSync(tmp.path("support/bundle.json"), "utf8");
    expect(text).not.toContain(GHP);
    const bundle = JSON.parse(text);
    expect(bundle.run.inputs).toEqual({ version: "1.2.3", api_token: "***" });
    expect(bundle.environment.variables).toEqual(["STAGEFLOW_API_KEY"]);
    expect(bundle.configuration.sources.db).toBe("flag --db");
    expect(bundle.journal).toEqual({ ok: true, problems: [] });
    expect(bundle.attempts).toHaveLength(4);
    expect(bundle.checkpoints).toHaveLength(3);
    expect(bundle.events.length).toBe(events.length);
    expect(bundle.definition).toMatchObject({ name: "e2e" });
  });

  it("exits 1 for a failed run and prints what failed; resuming a finished run does nothing", async () => {
    tmp.write(
      "fail.yml",
      "name: fails\nstages:\n  - id: s\n    steps:\n      - id: boom\n        run: echo nope >&2; exit 7\n",
    );
    const ran = await cli("run", "fail.yml", "--db", db, "--json");
    expect(ran.code).toBe(1);
    const report = JSON.parse(ran.out);
    expect(report).toMatchObject({
      workflow: "fails",
      status: "failed",
      steps: [{ id: "boom", status: "failed" }],
    });
    const text = await cli("status", report.id, "--db", db);
    expect(text.out).toContain(`resume with: stageflow resume ${report.id}`);

    tmp.write("ok.yml", "name: ok\nstages:\n  - id: s\n    steps:\n      - id: fine\n        run: 'true'\n");
    const ok = JSON.parse((await cli("run", "ok.yml", "--db", db, "--json")).out);
    const again = await cli("resume", ok.id, "--db", db);
    expect(again.code).toBe(0);
    expect(again.err).toContain("already succeeded; nothing to resume");
    const cancel = await cli("cancel", ok.id, "--db", db);
    expect(cancel).toMatchObject({ code: 0 });
    expect(cancel.out).toContain("already succeeded; nothing to cancel");
    const all = await cli("resume", "--all", "--db", db);
    expect(all.code).toBe(0);
    expect(all.err).toContain("nothing to resume");
    // A service's first start: no journal yet is nothing to resume either (one RUN_ID is an error).
    const none = tmp.path("fresh/state.db");
    expect(await cli("resume", "--all", "--db", none)).toMatchObject({ code: 0 });
    expect((await cli("resume", "--all", "--db", none, "--json")).out.trim()).toBe("[]");
    expect(existsSync(none)).toBe(false);
    expect((await cli("resume", ok.id, "--db", none)).code).toBe(2);
  });

  it("validate reports every problem with file:line:col and exits 2", async () => {
    tmp.write(
      "bad.yml",
      "name: bad\nstages:\n  - id: a\n    steps:\n      - id: x\n        run: echo\n        retires: 3\n",
    );
    const result = await cli("validate", "e2e.yml", "bad.yml");
    expect(result.code).toBe(2);
    expect(result.out).toContain("e2e.yml: ok (2 stages, 3 steps)");
    expect(result.out).toContain(
      "bad.yml:7:9 stages[0].steps[0]: unknown key 'retires' (did you mean 'retry'?)",
    );
    const json = await cli("validate", "bad.yml", "--json");
    expect(JSON.parse(json.out)).toEqual([expect.objectContaining({ file: "bad.yml", ok: false })]);
    expect((await cli("validate", "e2e.yml")).code).toBe(0);
  });

  it("a bad workflow file or a missing input exits 2 and records no run", async () => {
    await cli("run", "e2e.yml", "--db", db, "--input", "version=1");
    const missing = await cli("run", "e2e.yml", "--db", db);
    expect(missing.code).toBe(2);
    expect(missing.err).toContain("missing required input 'version'");
    tmp.write("bad.yml", "name: bad\nstages: 3\n");
    const bad = await cli("run", "bad.yml", "--db", db);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/^bad\.yml:2:\d+ stages/);
    const unknown = await cli("history", "no-such-run", "--db", db);
    expect(unknown.code).toBe(2);
    const runs = JSON.parse((await cli("status", "--db", db, "--json")).out);
    expect(runs).toHaveLength(1);
  });

  it("--db pointing at a text file exits 3 and leaves the file unchanged", async () => {
    const path = tmp.write("notes.txt", "just some notes\n");
    const before = statSync(path).mtimeMs;
    const result = await cli("run", "e2e.yml", "--db", path, "--input", "version=1");
    expect(result.code).toBe(3);
    expect(result.err).toContain(path);
    expect(readFileSync(path, "utf8")).toBe("just some notes\n");
    expect(statSync(path).mtimeMs).toBe(before);
  });

  it("bad configuration exits 2 naming the source", async () => {
    const io = captureIo(tmp.dir, { STAGEFLOW_LEASE_MS: "abc" });
    const result = await stageflow(io, "status", "--db", db);
    expect(result.code).toBe(2);
    expect(result.err).toBe("STAGEFLOW_LEASE_MS: expected a positive integer, got 'abc'\n");
    const json = await stageflow(captureIo(tmp.dir, { STAGEFLOW_DURABILITY: "disk" }), "status", "--json");
    expect(JSON.parse(json.out)).toMatchObject({ error: { exitCode: 2, reason: "invalid_input" } });
  });

  it("usage errors exit 2; --help and --version exit 0", async () => {
    expect((await cli("frobnicate")).code).toBe(2);
    expect((await cli("resume", "--db", db)).code).toBe(2);
    const help = await cli("--help");
    expect(help.code).toBe(0);
    expect(help.out).toContain("diagnostics");
    expect((await cli("--version")).out.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it("status with no database yet says so and exits 0", async () => {
    const result = await cli("status", "--db", tmp.path("none.db"));
    expect(result.code).toBe(0);
    expect(result.out).toContain("no runs");
  });

  it("on a terminal, redraws progress in place", async () => {
    const io = captureIo(tmp.dir, {}, true);
    const result = await stageflow(io, "run", "e2e.yml", "--db", db, "--input", "version=1");
    expect(result.code).toBe(0);
    expect(result.out).toContain("\x1b[2K");
    expect(result.out).toMatch(new RegExp(`${String.fromCharCode(27)}\\[\\d+A`));
    const report = result.out.slice(result.out.lastIndexOf("\nrun "));
    expect(report).toContain("status    ✔ succeeded");
    expect(report).not.toContain("\x1b[");
  });
});
