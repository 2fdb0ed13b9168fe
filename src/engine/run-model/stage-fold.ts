import type { EngineEvent } from "../events.js";
import type { StageModel } from "./types.js";

/** A `stage.*` event applied to its stage's model. */
export function applyStage(stage: StageModel, e: EngineEvent): void {
  switch (e.type) {
    case "stage.started":
      Object.assign(stage, { state: "running", reason: null, startedAt: e.at, finishedAt: null });
      return;
    case "stage.succeeded":
    case "stage.failed": {
      const failed = e.type === "stage.failed";
      stage.startedAt ??= e.at - e.payload.durationMs;
      stage.finishedAt = e.at;
      if (stage.state === "timed_out") return;
      stage.state = failed ? "failed" : "succeeded";
      stage.reason = failed ? e.payload.reason : "succeeded";
      return;
    }
    case "stage.skipped":
      Object.assign(stage, { state: "skipped", reason: e.payload.reason, finishedAt: e.at });
      return;
    case "stage.timed_out":
      stage.reason = "stage_timed_out";
      if (e.payload.action === "fail") stage.state = "timed_out";
      return;
    default:
  }
}
