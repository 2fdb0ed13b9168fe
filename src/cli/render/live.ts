import type { EngineEvent } from "../../index.js";
import type { Output } from "../io.js";
import type { RoutableOutput } from "../stderr-route.js";
import { eventLine } from "./describe-event.js";
import { fitLines } from "./fit.js";
import { ProgressModel, type ProgressSeed, renderProgress } from "./progress-model.js";
import { colourLine, type TerminalOutput } from "./terminal.js";

/** Where live progress goes while runs execute. */
export interface ProgressSink {
  /** Stages and steps in plan order, so pending ones show before their events. */
  seed(runId: string, seed: ProgressSeed): void;
  onEvent(event: EngineEvent): void;
  /** Draws the last state and stops any timer. */
  stop(): void;
}

/** `--json`: nothing on stdout but the final document. */
export const silentProgress: ProgressSink = { seed() {}, onEvent() {}, stop() {} };

/**
 * Events a plain log leaves out because the line before says it: `step.retrying` follows its
 * `recovery.decided` (`attempt 1 failed → retry in 200ms`), and `recovery.failed` comes with the
 * step's `step.failed` or the run's `run.escalated`.
 */
const SAID_BEFORE = new Set(["step.retrying", "recovery.failed"]);

/**
 * Not a terminal: one plain line per event, e.g.
 * `12:00:01.234 build/linux succeeded (1.2s, 2 attempts: 1 retry)`; a step's end gives its
 * duration and attempts from the run model, as the report does.
 */
export function plainProgress(out: Output, opts: { runPrefix?: boolean } = {}): ProgressSink {
  const model = new ProgressModel();
  return {
    seed(runId, seed) {
      model.seed(runId, seed);
    },
    onEvent(event) {
      model.apply(event);
      if (SAID_BEFORE.has(event.type)) return;
      out.write(`${eventLine(event, { ...opts, model: model.model(event.runId) })}\n`);
    },
    stop() {},
  };
}

const UP = (n: number) => `\x1b[${n}A\r`;
const CLEAR_LINE = "\x1b[2K";
const CLEAR_DOWN = "\x1b[J";

export interface LiveOptions {
  now?: () => number;
  /** Redraw period for elapsed times. @default 150 */
  intervalMs?: number;
  /** Colour the status symbols (see useColor). @default false */
  color?: boolean;
  /** The CLI's stderr: while drawing, what is written there goes above the frame. */
  stderr?: RoutableOutput;
}

/**
 * A terminal: the stages and steps redrawn in place, on every event and every `intervalMs`. The
 * frame is kept within the terminal's height and width (see fitLines), so going back over it
 * never scrolls; writes to the CLI's stderr clear the frame, pass, and the frame is drawn again.
 */
export function liveProgress(out: TerminalOutput, opts: LiveOptions = {}): ProgressSink {
  const now = opts.now ?? Date.now;
  const model = new ProgressModel();
  const { stderr } = opts;
  let drawn = 0;
  let stopped = false;
  const frame = () => {
    const width = Math.max(20, (out.columns && out.columns > 0 ? out.columns : 120) - 1);
    const height = Math.max(2, (out.rows && out.rows > 0 ? out.rows : 24) - 1);
    const lines = fitLines(renderProgress(model, now()), height).map((line) => line.slice(0, width));
    return opts.color ? lines.map(colourLine) : lines;
  };
  const draw = () => {
    if (stopped) return;
    const lines = frame();
    if (lines.length === 0 && drawn === 0) return;
    const home = drawn > 0 ? UP(drawn) : "";
    out.write(home + lines.map((line) => `${CLEAR_LINE}${line}\n`).join("") + CLEAR_DOWN);
    drawn = lines.length;
  };
  const interject = (text: string) => {
    if (drawn > 0) out.write(UP(drawn) + CLEAR_DOWN);
    drawn = 0;
    stderr?.target.write(text);
    draw();
  };
  stderr?.route(interject);
  const timer = setInterval(draw, opts.intervalMs ?? 150);
  timer.unref?.();
  return {
    seed(runId, seed) {
      model.seed(runId, seed);
      draw();
    },
    onEvent(event) {
      model.apply(event);
      draw();
    },
    stop() {
      clearInterval(timer);
      draw();
      stopped = true;
      stderr?.route(undefined);
    },
  };
}
