import type { EngineEvent } from "../../engine/events.js";
import { maskText } from "../mask.js";
import { clockTime, duration, shortId } from "./format.js";

/** An event in words: `build/linux` `succeeded` (`attempt 2`, `1.2s`): `message`. */
export interface EventDescription {
  /** `run`, a stage id, `stage/step`, or `circuit <dependency>`. */
  subject: string;
  verb: string;
  details: string[];
  /** An error message (masked), when the event carries one. */
  message?: string;
}

const list = (items: readonly string[]) => items.join(", ");
const attempt = (n: number) => `attempt ${n}`;

export function describeEvent(event: EngineEvent): EventDescription {
  const d = describe(event);
  return d.message === undefined ? d : { ...d, message: maskText(d.message) };
}

function describe(e: EngineEvent): EventDescription {
  switch (e.type) {
    case "run.started":
      return {
        subject: "run",
        verb: "started",
        details: [`workflow ${e.payload.workflow}`, e.payload.trigger.kind],
      };
    case "run.resumed": {
      const p = e.payload;
      const details = [`owner ${p.owner}`, `${p.skippedSteps.length} finished step(s) kept`];
      if (p.takenOverFrom) details.splice(1, 0, `taken over from ${p.takenOverFrom}`);
      return { subject: "run", verb: "resumed", details };
    }
    case "run.succeeded":
      return { subject: "run", verb: "succeeded", details: [duration(e.payload.durationMs)] };
    case "run.failed": {
      const p = e.payload;
      const details = [p.reason, duration(p.durationMs)];
      if (p.failedSteps.length) details.push(`failed: ${list(p.failedSteps)}`);
      return { subject: "run", verb: "failed", details, ...(p.error ? { message: p.error.message } : {}) };
    }
    case "run.cancel_requested":
      return { subject: "run", verb: "cancel requested", details: [] };
    case "run.cancelled":
      return { subject: "run", verb: "cancelled", details: [duration(e.payload.durationMs)] };
    case "run.blocked":
      return { subject: "run", verb: "blocked", details: [e.payload.reason], message: e.payload.message };
    case "run.interrupted":
      return { subject: "run", verb: "interrupted", details: [`owner ${e.payload.owner}`] };
    case "stage.started":
      return { subject: e.payload.stageId, verb: "started", details: [] };
    case "stage.skipped":
      return { subject: e.payload.stageId, verb: "skipped", details: [e.payload.reason] };
    case "stage.warning": {
      const p = e.payload;
      return {
        subject: p.stageId,
        verb: "still running",
        details: [`${duration(p.elapsedMs)} elapsed`, `warn_after ${duration(p.warnAfterMs)}`],
      };
    }
    case "stage.timed_out": {
      const p = e.payload;
      const details = [`timeout ${duration(p.timeoutMs)}`];
      if (p.unfinished.length) details.push(`unfinished: ${list(p.unfinished)}`);
      return { subject: p.stageId, verb: "timed out", details };
    }
    case "stage.succeeded":
      return { subject: e.payload.stageId, verb: "succeeded", details: [duration(e.payload.durationMs)] };
    case "stage.failed": {
      const p = e.payload;
      const details = [p.reason, duration(p.durationMs)];
      if (p.failedSteps.length) details.push(`failed: ${list(p.failedSteps)}`);
      return { subject: p.stageId, verb: "failed", details };
    }
    case "step.started":
      return { subject: stepOf(e.payload), verb: "started", details: [attempt(e.payload.attempt)] };
    case "step.retrying": {
      const p = e.payload;
      return {
        subject: stepOf(p),
        verb: `retrying in ${duration(p.delayMs)}`,
        details: [`${attempt(p.attempt)} failed`],
        message: p.error.message,
      };
    }
    case "step.succeeded": {
      const p = e.payload;
      return { subject: stepOf(p), verb: "succeeded", details: [attempt(p.attempt), duration(p.durationMs)] };
    }
    case "step.failed": {
      const p = e.payload;
      const details = [attempt(p.attempt), duration(p.durationMs), p.reason];
      if (p.continued) details.push("continued");
      return { subject: stepOf(p), verb: "failed", details, message: p.error.message };
    }
    case "step.skipped":
      return { subject: stepOf(e.payload), verb: "skipped", details: [e.payload.reason] };
    case "step.cancelled": {
      const p = e.payload;
      return { subject: stepOf(p), verb: "cancelled", details: [attempt(p.attempt), p.reason] };
    }
    case "run.escalated": {
      const p = e.payload;
      const at = p.stepId ? `${p.stageId}/${p.stepId}` : p.stageId;
      const details = [p.severity, `at ${at}`, ...(p.notify ? [`notify ${p.notify}`] : [])];
      return { subject: "run", verb: "escalated", details, message: p.error.message };
    }
    case "run.degraded": {
      const p = e.payload;
      const details = [duration(p.durationMs), ...(p.skipped.length ? [`skipped: ${list(p.skipped)}`] : [])];
      return { subject: "run", verb: "degraded", details };
    }
    case "recovery.decided": {
      const p = e.payload;
      const details = [p.errorType, p.patternId ? `pattern ${p.patternId}` : "step retry policy"];
      if (p.delayMs !== undefined) details.push(`in ${duration(p.delayMs)}`);
      if (p.alternative !== undefined) details.push(`alternative ${p.alternative}`);
      if (p.detail) details.push(p.detail);
      return { subject: stepOf(p), verb: `recovery: ${p.strategy}`, details, message: p.error.message };
    }
    case "recovery.succeeded": {
      const p = e.payload;
      const details = [p.strategy, `${p.attempts} attempts`, `after ${duration(p.recoveryMs)}`];
      return { subject: stepOf(p), verb: "recovered", details };
    }
    case "recovery.failed": {
      const p = e.payload;
      return {
        subject: stepOf(p),
        verb: "recovery failed",
        details: [p.strategy, p.reason, `${p.attempts} attempts`],
      };
    }
    case "recovery.budget_refused": {
      const p = e.payload;
      const details = [`dependency ${p.dependency}`, p.action];
      if (p.waitMs !== undefined) details.push(`wait ${duration(p.waitMs)}`);
      return { subject: stepOf(p), verb: "retry refused by budget", details };
    }
    case "breaker.opened": {
      const p = e.payload;
      const details = [`${p.failures} failures`, `until ${clockTime(p.openUntil)}`];
      return { subject: `circuit ${p.dependency}`, verb: "opened", details };
    }
    case "breaker.half_opened":
      return { subject: `circuit ${e.payload.dependency}`, verb: "half-open", details: [] };
    case "breaker.closed":
      return { subject: `circuit ${e.payload.dependency}`, verb: "closed", details: [] };
    default:
      // An event type this CLI does not know yet: shown by name rather than failing.
      return { subject: "run", verb: (e as { type: string }).type, details: [] };
  }
}

function stepOf(p: { stageId: string; stepId: string }): string {
  return `${p.stageId}/${p.stepId}`;
}

/** `12:00:01.234 build/linux succeeded (attempt 2, 1.2s)`: one line of plain progress. */
export function eventLine(event: EngineEvent, opts: { runPrefix?: boolean } = {}): string {
  const d = describeEvent(event);
  const prefix = opts.runPrefix ? `[${shortId(event.runId)}] ` : "";
  const details = d.details.length ? ` (${list(d.details)})` : "";
  const message = d.message ? `: ${d.message.split("\n")[0]}` : "";
  return `${clockTime(event.at)} ${prefix}${d.subject} ${d.verb}${details}${message}`;
}
