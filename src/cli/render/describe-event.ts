import { elapsed, type EngineEvent, findStep, type RunModel } from "../../index.js";
import { maskText } from "../mask.js";
import { attemptsText, clockTime, duration, plural, shortId } from "./format.js";

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

/**
 * An event in words. With `model` (the run's model after this event), a step's end says what
 * the report says: the step's duration and its attempts, e.g. `(105ms, 2 attempts: 1 alternative)`.
 */
export function describeEvent(event: EngineEvent, model?: RunModel): EventDescription {
  const d = describe(event, model);
  return d.message === undefined ? d : { ...d, message: maskText(d.message) };
}

/** The step's duration and attempts as the run model has them, or the event's own figures. */
function stepEnd(p: { stepId: string; attempt: number; durationMs: number }, model?: RunModel): string[] {
  const step = findStep(model, p.stepId);
  if (!step) return [duration(p.durationMs), ...(p.attempt > 1 ? [attempt(p.attempt)] : [])];
  const took = duration(elapsed(step));
  return step.attempts > 1 ? [took, attemptsText(step.attempts, step.causes)] : [took];
}

function describe(e: EngineEvent, model?: RunModel): EventDescription {
  switch (e.type) {
    case "run.started":
      return {
        subject: "run",
        verb: "started",
        details: [`workflow ${e.payload.workflow}`, e.payload.trigger.kind],
      };
    case "run.resumed": {
      const p = e.payload;
      const details = [`owner ${p.owner}`, `${plural(p.skippedSteps.length, "finished step")} kept`];
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
    case "run.changes_accepted": {
      const p = e.payload;
      const counts: Array<[string[], string]> = [
        [p.added, "added"],
        [p.removed, "removed"],
        [p.changed, "changed"],
        [p.rerun, "to run again"],
      ];
      const details = counts
        .filter(([ids]) => ids.length > 0)
        .map(([ids, what]) => `${plural(ids.length, "step")} ${what}`);
      return { subject: "run", verb: "changes accepted", details };
    }
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
      // The error was said by the `recovery.decided` event just before.
      const p = e.payload;
      return {
        subject: stepOf(p),
        verb: `retrying in ${duration(p.delayMs)}`,
        details: [`${attempt(p.attempt)} failed`],
      };
    }
    case "step.succeeded":
      return { subject: stepOf(e.payload), verb: "succeeded", details: stepEnd(e.payload, model) };
    case "step.failed": {
      const p = e.payload;
      const details = [p.reason, ...stepEnd(p, model)];
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
    case "run.parked": {
      const p = e.payload;
      const details = [
        ...(p.wakeAt !== null ? [`until ${clockTime(p.wakeAt)}`] : []),
        ...(p.signals.length ? [`signal ${list(p.signals)}`] : []),
      ];
      return { subject: "run", verb: "parked", details };
    }
    case "run.woken":
      return { subject: "run", verb: "woken", details: [`by ${e.payload.by}`] };
    case "run.degraded": {
      const p = e.payload;
      const details = [duration(p.durationMs), ...(p.skipped.length ? [`skipped: ${list(p.skipped)}`] : [])];
      return { subject: "run", verb: "degraded", details };
    }
    case "recovery.decided":
      return decided(e.payload);
    case "recovery.succeeded": {
      const p = e.payload;
      const details = [p.strategy, plural(p.attempts, "attempt"), `after ${duration(p.recoveryMs)}`];
      return { subject: stepOf(p), verb: "recovered", details };
    }
    case "recovery.failed": {
      const p = e.payload;
      return {
        subject: stepOf(p),
        verb: "recovery failed",
        details: [p.strategy, p.reason, plural(p.attempts, "attempt")],
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

/** `attempt 1 failed → retry in 200ms (network, pattern network)`: one decision, said once. */
function decided(p: Extract<EngineEvent, { type: "recovery.decided" }>["payload"]): EventDescription {
  const what =
    p.strategy === "retry" || p.strategy === "step_retry"
      ? `retry in ${duration(p.delayMs ?? 0)}`
      : p.strategy === "alternative"
        ? `alternative ${(p.alternative ?? 0) + 1}`
        : p.strategy === "fail" || p.strategy === "give_up"
          ? "give up"
          : p.strategy;
  const by = p.patternId
    ? `pattern ${p.patternId}`
    : p.strategy === "degrade"
      ? "optional step"
      : "step retry policy";
  const details = [p.errorType, by];
  // A give-up says why (`gave up after 3 attempts`); the other details already say the rest.
  const why = p.detail?.includes(": ") ? p.detail.slice(p.detail.indexOf(": ") + 2) : undefined;
  if (what === "give up" && why) details.push(why);
  return {
    subject: stepOf(p),
    verb: `${attempt(p.attempt)} failed → ${what}`,
    details,
    message: p.error.message,
  };
}

function stepOf(p: { stageId: string; stepId: string }): string {
  return `${p.stageId}/${p.stepId}`;
}

/** `12:00:01.234 build/linux succeeded (1.2s, 2 attempts: 1 retry)`: one line of plain progress. */
export function eventLine(event: EngineEvent, opts: { runPrefix?: boolean; model?: RunModel } = {}): string {
  const d = describeEvent(event, opts.model);
  const prefix = opts.runPrefix ? `[${shortId(event.runId)}] ` : "";
  const details = d.details.length ? ` (${list(d.details)})` : "";
  const message = d.message ? `: ${d.message.split("\n")[0]}` : "";
  return `${clockTime(event.at)} ${prefix}${d.subject} ${d.verb}${details}${message}`;
}
