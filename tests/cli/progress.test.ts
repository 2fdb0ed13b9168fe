import { describe, expect, it } from "vitest";
import { liveProgress } from "../../src/cli/render/live.js";
import { ProgressModel, renderProgress } from "../../src/cli/render/progress-model.js";
import type { EngineEvent, EventPayloads, EventType } from "../../src/engine/events.js";

const event = <T extends EventType>(type: T, payload: EventPayloads[T], at: number): EngineEvent =>
  ({ runId: "abcdef123456", correlationId: "c", type, at, payload }) as EngineEvent;

const seed = {
  workflow: "release",
  stages: [
    { id: "prepare", steps: [{ id: "check" }] },
    { id: "build", steps: [{ id: "linux" }, { id: "docs" }] },
  ],
};

describe("live progress", () => {
  it("keeps plan order and shows states, attempts and elapsed times", () => {
    const model = new ProgressModel();
    model.apply(event("run.started", { workflow: "release", inputs: {}, trigger: { kind: "cli" } }, 0));
    model.apply(event("stage.started", { stageId: "prepare" }, 0));
    model.seed("abcdef123456", seed);
    model.apply(event("step.started", { stageId: "prepare", stepId: "check", attempt: 1 }, 10));
    model.apply(
      event(
        "step.succeeded",
        { stageId: "prepare", stepId: "check", attempt: 1, durationMs: 90, outputs: {} },
        100,
      ),
    );
    model.apply(event("stage.succeeded", { stageId: "prepare", durationMs: 100 }, 100));
    model.apply(event("stage.started", { stageId: "build" }, 100));
    model.apply(event("step.started", { stageId: "build", stepId: "linux", attempt: 1 }, 100));
    model.apply(
      event(
        "step.retrying",
        { stageId: "build", stepId: "linux", attempt: 1, delayMs: 400, error: { name: "E", message: "x" } },
        200,
      ),
    );
    expect(renderProgress(model, 1500)).toEqual([
      "▸ release abcdef123456  running  1.5s",
      "  ✔ prepare  succeeded  100ms",
      "      ✔ check  succeeded  90ms",
      "  ▸ build  running  1.4s",
      "      ↻ linux  retrying  retry in 400ms  1.4s",
      "      · docs  pending",
    ]);
    model.apply(event("step.started", { stageId: "build", stepId: "linux", attempt: 2 }, 600));
    // Timed from the step's first attempt, as the report times it.
    expect(renderProgress(model, 1600)[4]).toBe("      ▸ linux  running  attempt 2  1.5s");
  });

  it("continues a resumed run's model: events both read back and delivered count once", () => {
    const model = new ProgressModel();
    const before = [
      event("run.started", { workflow: "release", inputs: {}, trigger: { kind: "cli" } }, 0),
      event("stage.started", { stageId: "build" }, 0),
      event("step.started", { stageId: "build", stepId: "linux", attempt: 1 }, 10),
    ];
    const resumed = event("run.resumed", { owner: "h/2", skippedSteps: ["check"] }, 5000);
    const again = event("step.started", { stageId: "build", stepId: "linux", attempt: 2 }, 5010);
    // Delivered to the view while the journal was read: already in what was read.
    model.apply(resumed);
    model.apply(again);
    model.seed("abcdef123456", { ...seed, events: [...before, resumed, again] });
    model.apply(
      event(
        "step.succeeded",
        { stageId: "build", stepId: "linux", attempt: 2, durationMs: 90, outputs: {} },
        5100,
      ),
    );
    const linux = model.runs[0]?.stages[1]?.steps[0];
    expect([linux?.state, linux?.attempts, linux?.causes]).toEqual(["succeeded", 2, { interrupted: 1 }]);
    expect(renderProgress(model, 6000)[4]).toBe("      ✔ linux  succeeded  2 attempts: 1 interrupted  90ms");
  });

  it("redraws in place on a terminal: cursor up over the previous frame, each line cleared", () => {
    let out = "";
    const now = 1000;
    const live = liveProgress(
      { write: (t: string) => (out += t), columns: 80 },
      { now: () => now, intervalMs: 60_000 },
    );
    live.seed("abcdef123456", seed);
    const first = out;
    expect(first.startsWith("\x1b[2K")).toBe(true);
    expect(first.split("\n")).toHaveLength(7);
    out = "";
    live.onEvent(event("stage.started", { stageId: "prepare" }, 500));
    expect(out.startsWith("\x1b[6A\r\x1b[2K")).toBe(true);
    expect(out).toContain("▸ prepare  running  500ms");
    expect(out.endsWith("\x1b[J")).toBe(true);
    live.stop();
  });
});
