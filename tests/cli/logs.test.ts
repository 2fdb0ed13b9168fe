import { existsSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { waitFor } from "../steps/context.js";
import { captureIo, stageflow, tempDir } from "./helpers.js";

const workflow = (go: string) => `name: chatty
stages:
  - id: main
    steps:
      - id: talk
        run: |
          echo "line 1"
          echo "warn 1" >&2
          for i in $(seq 1 200); do test -f "${go}" && break; sleep 0.05; done
          echo "line 2"
          echo "line 3"
      - id: big
        run: seq 1 20000 | sed 's/^/line-/'
      - id: flaky
        run: echo "try"; test -f "${go}.2" || (touch "${go}.2" && exit 3)
        retry: { max_attempts: 2, base_delay: 10ms }
`;

/** Polls an asynchronous condition (real time) until it holds; fails after 10 s. */
async function until(check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("until: condition not met in time");
    await new Promise((r) => setTimeout(r, 25));
  }
}

interface Line {
  stepId: string;
  attempt: number;
  stream: string;
  text: string;
}

describe("stageflow logs", () => {
  let tmp: ReturnType<typeof tempDir>;
  let db: string;
  const cli = (...args: string[]) => stageflow(captureIo(tmp.dir), ...args, "--db", db);
  const go = () => tmp.path("go");
  const runId = async () => {
    const out = (await cli("status", "--json")).out;
    return (JSON.parse(out) as Array<{ id: string }>)[0]?.id;
  };

  beforeEach(() => {
    tmp = tempDir();
    db = tmp.path("state.db");
    tmp.write("chatty.yml", workflow(go()));
  });
  afterEach(() => tmp.cleanup());

  it("--follow prints lines while the step runs and returns when the run ends", async () => {
    let finished = false;
    const ran = cli("run", "chatty.yml").then((r) => {
      finished = true;
      return r;
    });
    await waitFor(() => (existsSync(db) ? true : undefined), 10_000);
    let id: string | undefined;
    for (let i = 0; i < 200 && !id; i++) {
      id = await runId().catch(() => undefined);
      if (!id) await new Promise((r) => setTimeout(r, 50));
    }
    if (!id) throw new Error("no run was recorded");
    // The first line is in the journal while the step still waits for `go`.
    let early = "";
    for (let i = 0; i < 200 && !early.includes("line 1"); i++) {
      early = (await cli("logs", id)).out;
      if (!early.includes("line 1")) await new Promise((r) => setTimeout(r, 50));
    }
    expect(early).toContain("talk  | line 1");
    expect(finished).toBe(false);
    const following = cli("logs", id, "talk", "--follow");
    writeFileSync(go(), "");
    const [followed, run] = await Promise.all([following, ran]);
    expect(run.code).toBe(0);
    expect(followed.code).toBe(0);
    expect(followed.out).toBe("talk | line 1\ntalk ! warn 1\ntalk | line 2\ntalk | line 3\n");
  });

  it("--follow of a run nobody executes any more (interrupted) prints its lines and returns", async () => {
    const io = captureIo(tmp.dir);
    const running = stageflow(io, "run", "chatty.yml", "--db", db);
    await waitFor(() => (io.out().includes("main/talk started") ? true : undefined), 10_000);
    const id = (await runId()) as string;
    await until(async () => (await cli("logs", id)).out.includes("line 1"));
    io.interrupt("SIGTERM"); // the run stops; the journal keeps it `running`, its owner gone
    expect((await running).code).toBe(143);
    const status = JSON.parse((await cli("status", id, "--json")).out) as { state?: string };
    expect(status.state).toBe("interrupted");
    // Returns (a hang fails the test by its timeout), with what the step printed.
    const followed = await cli("logs", id, "talk", "--follow");
    expect(followed.code).toBe(0);
    expect(followed.out).toContain("talk | line 1\ntalk ! warn 1\n");
  }, 30_000);

  it("--follow stopped by SIGTERM exits 143, by Ctrl-C 130", async () => {
    const ran = cli("run", "chatty.yml");
    await until(async () => (await runId().catch(() => undefined)) !== undefined);
    const id = (await runId()) as string;
    await until(async () => (await cli("logs", id)).out.includes("line 1")); // the step is running
    for (const [signal, code] of [
      ["SIGTERM", 143],
      ["SIGINT", 130],
    ] as const) {
      const io = captureIo(tmp.dir);
      const following = stageflow(io, "logs", id, "--follow", "--db", db);
      await until(async () => io.out().includes("line 1")); // following: its first lines printed
      io.interrupt(signal);
      expect((await following).code).toBe(code);
    }
    writeFileSync(go(), "");
    expect((await ran).code).toBe(0);
  }, 30_000);

  it("keeps the first and last 32 KiB of a step's output, with a note of what was left out", async () => {
    writeFileSync(go(), "");
    expect((await cli("run", "chatty.yml")).code).toBe(0);
    const id = (await runId()) as string;
    const lines = JSON.parse((await cli("logs", id, "big", "--json")).out) as Line[];
    const texts = lines.map((l) => l.text);
    expect(texts[0]).toBe("line-1");
    expect(texts.at(-1)).toBe("line-20000");
    const notes = lines.filter((l) => l.stream === "note");
    expect(notes).toHaveLength(1);
    expect(notes[0]?.text).toMatch(/^… \d+ line\(s\), \d+ characters not kept/);
    const kept = texts.filter((t) => t.startsWith("line-")).join("").length;
    expect(kept).toBeLessThanOrEqual(64 * 1024);
    expect(kept).toBeGreaterThan(60 * 1024);
    // Whole lines, in order, around the gap.
    const numbers = texts.filter((t) => t.startsWith("line-")).map((t) => Number(t.slice(5)));
    const gap = numbers.findIndex((n, i) => i > 0 && n !== (numbers[i - 1] as number) + 1);
    expect(numbers.slice(0, gap).every((n, i) => n === i + 1)).toBe(true);
    expect(numbers.slice(gap).every((n, i) => n === (numbers[gap] as number) + i)).toBe(true);
  });

  it("labels later attempts, filters by step and refuses an unknown step", async () => {
    writeFileSync(go(), "");
    await cli("run", "chatty.yml");
    const id = (await runId()) as string;
    expect((await cli("logs", id, "flaky")).out).toBe("flaky | try\nflaky#2 | try\n");
    const all = (await cli("logs", id)).out;
    expect(all.indexOf("talk")).toBeLessThan(all.indexOf("big"));
    const unknown = await cli("logs", id, "nope");
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain("has no step 'nope' (steps: talk, big, flaky)");
  });
});

describe("work files of a run", () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => {
    tmp = tempDir();
  });
  afterEach(() => tmp.cleanup());

  const flow = (exit: number) => `name: files
stages:
  - id: main
    steps:
      - id: one
        run: echo "x=1" >> "$STAGEFLOW_OUTPUT"; exit ${exit}
`;

  it("are removed when the run succeeds and kept, owner-only, when it fails", async () => {
    const work = tmp.path("work");
    const cli = (...args: string[]) =>
      stageflow(captureIo(tmp.dir), ...args, "--db", tmp.path("state.db"), "--work-dir", work);
    tmp.write("ok.yml", flow(0));
    tmp.write("bad.yml", flow(5));
    expect((await cli("run", "ok.yml")).code).toBe(0);
    const runs = async () =>
      JSON.parse((await cli("status", "--json")).out) as Array<{ id: string; status: string }>;
    const ok = (await runs())[0]?.id as string;
    expect(existsSync(join(work, ok))).toBe(false);
    expect((await cli("run", "bad.yml")).code).toBe(1);
    const bad = (await runs()).find((r) => r.status === "failed")?.id as string;
    expect(statSync(join(work, bad)).mode & 0o777).toBe(0o700);
  });
});
