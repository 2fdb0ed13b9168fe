import type { EngineEvent } from "../events.js";
import type { EpisodeModel } from "./types.js";

/**
 * Folds `recovery.*` and `run.escalated` events into recovery episodes: one per step from its
 * first failure to its recovery, its giving up, or its escalation (a resume starts a new one).
 */
export class EpisodeFold {
  readonly episodes: EpisodeModel[] = [];
  private readonly open = new Map<string, EpisodeModel>();

  apply(e: EngineEvent): void {
    if (e.type === "recovery.decided") {
      const p = e.payload;
      let ep = this.open.get(p.stepId);
      if (!ep) {
        ep = {
          stepId: p.stepId,
          patternId: p.patternId,
          errorType: p.errorType,
          strategies: [],
          outcome: "in_progress",
          attempts: 0,
          recoveryMs: null,
          error: p.error.message,
        };
        this.open.set(p.stepId, ep);
        this.episodes.push(ep);
      }
      ep.attempts++;
      if (ep.strategies.at(-1) !== p.strategy) ep.strategies.push(p.strategy);
      ep.patternId = p.patternId ?? ep.patternId;
      ep.errorType = p.errorType;
    } else if (e.type === "recovery.succeeded" || e.type === "recovery.failed") {
      const p = e.payload;
      const ep = this.open.get(p.stepId);
      if (!ep) return;
      ep.outcome =
        e.type === "recovery.succeeded" ? "recovered" : p.strategy === "escalate" ? "escalated" : "failed";
      ep.attempts = p.attempts;
      ep.recoveryMs = p.recoveryMs;
      this.open.delete(p.stepId);
    } else if (e.type === "run.escalated") {
      const ep = e.payload.stepId ? this.open.get(e.payload.stepId) : undefined;
      if (ep) {
        ep.outcome = "escalated";
        this.open.delete(ep.stepId);
      }
    }
  }
}
