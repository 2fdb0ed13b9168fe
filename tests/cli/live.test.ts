import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { CliIo } from "../../src/cli/io.js";
import { createLogger } from "../../src/cli/logger.js";
import { run } from "../../src/cli/main.js";
import { fitLines } from "../../src/cli/render/fit.js";
import { liveProgress } from "../../src/cli/render/live.js";
import { routable } from "../../src/cli/stderr-route.js";
import type { EngineEvent, EventPayloads, EventType } from "../../src/engine/events.js";
import { FakeTerminal } from "./fake-terminal.js";
import { tempDir } from "./helpers.js";

/** Three stages of `n` quick steps each: a frame of 4 + 3n lines. */
const wide = (n: number) => {
  const steps = (stage: string) =>
    Array.from({ length: n }, (_, i) => `      - id: ${stage}${i}\n        run: "true"\n`).join("");
  const stage = (id: string) =>
    `  - id: ${id}\n    mode: parallel\n    concurrency: 3\n    steps:\n${steps(id)}`;
  return `name: wide\nstages:\n${stage("one")}${stage("two")}${stage("three")}`;
};

/** An io whose stdout and stderr are one fake terminal. */
function terminalIo(
  term: FakeTerminal,
  cwd: string,
  env: Record<string, string> = {},
): CliIo & { raw(): string } {
  let raw = "";
  const stream = term.stream();
  const out = { ...stream, write: (t: string) => ((raw += t), stream.write(t)) };
  return { stdout: out, stderr: out, env, cwd, isTTY: true, raw: () => raw };
}

const HEADER = /^. wide [0-9a-f]{8} {2}/;

describe("live view on a terminal", () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => {
    tmp = tempDir();
    tmp.write("wide.yml", wide(12));
  });
  afterEach(() => tmp.cleanup());

  it("stays within the terminal's height: no frame is pushed into the scrollback", async () => {
    const term = new FakeTerminal(12, 80);
    const io = terminalIo(term, tmp.dir);
    expect(await run(["node", "stageflow", "run", "wide.yml", "--db", tmp.path("j.db")], io)).toBe(0);
    const history = term.history();
    // One frame, redrawn in place, then the report below it: the header line shows once.
    expect(history.filter((line) => HEADER.test(line))).toHaveLength(1);
    expect(history.filter((line) => line.startsWith("run ") && line.endsWith("(wide)"))).toHaveLength(1);
    expect(io.raw()).toContain("\x1b[32m✔\x1b[39m");
  });

  it("prints no colour with NO_COLOR, and plain lines with TERM=dumb", async () => {
    const noColor = terminalIo(new FakeTerminal(40, 100), tmp.dir, { NO_COLOR: "1" });
    expect(await run(["node", "stageflow", "run", "wide.yml", "--db", tmp.path("a.db")], noColor)).toBe(0);
    expect(noColor.raw()).toContain("\x1b[2K"); // still drawn in place
    expect(noColor.raw()).not.toMatch(/\[\d+m/);

    const dumb = terminalIo(new FakeTerminal(40, 100), tmp.dir, { TERM: "dumb" });
    expect(await run(["node", "stageflow", "run", "wide.yml", "--db", tmp.path("b.db")], dumb)).toBe(0);
    expect(dumb.raw()).not.toContain("\x1b[");
    expect(dumb.raw()).toMatch(/\d{3} one\/one0 succeeded/);
  });

  it("prints plain lines when stdout is not a terminal, even with FORCE_COLOR", async () => {
    const term = new FakeTerminal(40, 100);
    const io = { ...terminalIo(term, tmp.dir, { FORCE_COLOR: "1" }), isTTY: false };
    expect(await run(["node", "stageflow", "run", "wide.yml", "--db", tmp.path("c.db")], io)).toBe(0);
    expect(io.raw()).not.toContain("\x1b[");
    expect(io.raw()).toMatch(/\d{3} three\/three11 succeeded/);
  });
});

const event = <T extends EventType>(type: T, payload: EventPayloads[T], at: number): EngineEvent =>
  ({ runId: "0193a1b2-c3d4-7e5f-8a9b-1c2d3e4f5a6b", correlationId: "c", type, at, payload }) as EngineEvent;

describe("live view and stderr", () => {
  it("a message written to the CLI's stderr while drawing lands above the frame, intact", () => {
    const term = new FakeTerminal(10, 60);
    const stderr = routable(term.stream());
    const live = liveProgress(term.stream(), { now: () => 1000, intervalMs: 60_000, stderr });
    live.seed(event("run.started", {} as never, 0).runId, {
      workflow: "release",
      stages: [{ id: "build", steps: [{ id: "linux" }, { id: "docs" }] }],
    });
    live.onEvent(event("stage.started", { stageId: "build" }, 0));
    const logger = createLogger(stderr, "warn", () => 0);
    logger.warn("lease renewal failed");
    live.onEvent(event("step.started", { stageId: "build", stepId: "linux", attempt: 1 }, 10));
    live.stop();
    stderr.write("after the live view\n");

    const screen = term.visible().filter((line) => line !== "");
    expect(screen[0]).toMatch(/^\d\d:\d\d:\d\d\.\d{3} warn {2}lease renewal failed$/);
    expect(screen.slice(1)).toEqual([
      "▸ release 3e4f5a6b  running",
      "  ▸ build  running  1s",
      "      ▸ linux  running  990ms",
      "      · docs  pending",
      "after the live view",
    ]);
    expect(term.scrollback).toEqual([]);
  });
});

describe("fitting the frame into the terminal", () => {
  const frame = [
    "▸ release 3e4f5a6b  running  9s",
    "  ✔ prepare  succeeded  1s",
    "      ✔ a  succeeded  1s",
    "      ✔ b  succeeded  1s",
    "  ▸ build  running  8s",
    "      ✔ c  succeeded  1s",
    "      ▸ d  running  2s",
    "      · e  pending",
    "      · f  pending",
    "  · publish  pending",
    "      · g  pending",
  ];

  it("keeps a frame that fits as it is", () => {
    expect(fitLines(frame, 11)).toEqual(frame);
  });

  it("first drops the steps of finished stages", () => {
    expect(fitLines(frame, 9)).toEqual([frame[0], frame[1], ...frame.slice(4)]);
  });

  it("then sums up the steps not at work, then cuts with a count", () => {
    expect(fitLines(frame, 7)).toEqual([
      frame[0],
      frame[1],
      frame[4],
      "      ▸ d  running  2s",
      "      … 3 more steps: 1 succeeded, 2 pending",
      "  · publish  pending",
      "      … 1 more step: 1 pending",
    ]);
    expect(fitLines(frame, 4)).toEqual([
      frame[0],
      frame[1],
      frame[4],
      "… 4 more lines (enlarge the terminal to see them)",
    ]);
  });
});
