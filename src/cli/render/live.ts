import type { EngineEvent } from "../../engine/events.js";
import type { Output } from "../io.js";
import { eventLine } from "./describe-event.js";
import { ProgressModel, type ProgressSeed, renderProgress } from "./progress-model.js";

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

/** Not a terminal: one plain line per event, e.g. `12:00:01.234 build/linux succeeded (attempt 2, 1.2s)`. */
export function plainProgress(out: Output, opts: { runPrefix?: boolean } = {}): ProgressSink {
  return {
    seed() {},
    onEvent(event) {
      out.write(`${eventLine(event, opts)}\n`);
    },
    stop() {},
  };
}

const UP = (n: number) => `\x1b[${n}A\r`;
const CLEAR_LINE = "\x1b[2K";
const CLEAR_DOWN = "\x1b[J";

/** A terminal: the stages and steps redrawn in place, on every event and every `intervalMs`. */
export function liveProgress(
  out: Output & { columns?: number },
  opts: { now?: () => number; intervalMs?: number } = {},
): ProgressSink {
  const now = opts.now ?? Date.now;
  const model = new ProgressModel();
  let drawn = 0;
  let stopped = false;
  const draw = () => {
    if (stopped) return;
    const width = Math.max(20, (out.columns && out.columns > 0 ? out.columns : 120) - 1);
    const lines = renderProgress(model, now()).map((line) => line.slice(0, width));
    if (lines.length === 0 && drawn === 0) return;
    const home = drawn > 0 ? UP(drawn) : "";
    out.write(home + lines.map((line) => `${CLEAR_LINE}${line}\n`).join("") + CLEAR_DOWN);
    drawn = lines.length;
  };
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
    },
  };
}
