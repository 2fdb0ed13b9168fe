/**
 * The event-replay checker: folds a run's journaled events (and nothing else — not the run or
 * checkpoint tables) into the state they describe: the run's status and reason, each step's
 * final status, and the checkpoints the step events imply. `diffState` compares that with what
 * the journal recorded (`getRun`, `listCheckpoints`), so a test proves every run's final state is
 * explained by its events. `replay` also reports events that do not explain each other (an
 * attempt without a decision, a retry nobody decided, an escalation without a decision, ...).
 */
import type { ErrorInfo } from "../../src/engine/errors.js";
import type { EventRecord } from "../../src/engine/events.js";
import type { AttemptRecord, CheckpointRecord, RunRecord, RunStatus } from "../../src/engine/journal.js";

export type ReplayedStepStatus =
  "pending" | "running" | "retrying" | "succeeded" | "failed" | "skipped" | "cancelled" | "waiting";

export interface ReplayedStep {
  status: ReplayedStepStatus;
  reason: string | null;
  /** Attempts started (step.started events). */
  attempts: number;
  lastAttempt: number;
  /** How the last attempt ended, as the events tell it; "running" while none says. */
  lastAttemptStatus: "running" | "succeeded" | "failed" | "cancelled" | null;
}

export interface ReplayedCheckpoint {
  status: "succeeded" | "skipped" | "failed";
  reason: string;
  attempts: number;
  outputs: Record<string, unknown>;
}

export interface Replayed {
  run: { status: RunStatus | "unknown"; reason: string | null; error: ErrorInfo | null };
  steps: Record<string, ReplayedStep>;
  checkpoints: Record<string, ReplayedCheckpoint>;
  /** Events that do not explain each other. Empty for a consistent history. */
  problems: string[];
}

const RETRYING = new Set(["retry", "step_retry", "alternative"]);

/** Folds one run's events (in seq order) into the state they describe. Pure. */
export function replay(events: readonly EventRecord[]): Replayed {
  const out: Replayed = {
    run: { status: "unknown", reason: null, error: null },
    steps: {},
    checkpoints: {},
    problems: [],
  };
  const step = (id: string): ReplayedStep => {
    let s = out.steps[id];
    if (!s) {
      s = { status: "pending", reason: null, attempts: 0, lastAttempt: 0, lastAttemptStatus: null };
      out.steps[id] = s;
    }
    return s;
  };
  /** The open attempt of each step (started, no outcome or decision yet). */
  const open = new Map<string, number>();
  /** What the last decision of each step allows next: another attempt, or nothing. */
  const allowsAttempt = new Map<string, boolean>();
  const lastStrategy = new Map<string, string>();
  const degradedSkips = new Set<string>();
  const problem = (e: EventRecord, text: string) => out.problems.push(`#${e.seq} ${e.type}: ${text}`);

  let seq = 0;
  for (const e of events) {
    if (e.seq <= seq) problem(e, `out of order (after #${seq})`);
    seq = e.seq;
    switch (e.type) {
      case "run.started":
        out.run = { status: "running", reason: null, error: null };
        break;
      case "run.resumed": {
        out.run = { status: "running", reason: null, error: null };
        // Everything without a checkpoint runs again; an attempt cut short by a crash is void.
        for (const [id, s] of Object.entries(out.steps)) {
          // The resume closes an attempt cut short by a crash as cancelled (interrupted).
          if (s.lastAttemptStatus === "running") s.lastAttemptStatus = "cancelled";
          if (!out.checkpoints[id]) {
            s.status = "pending";
            s.reason = null;
          }
          allowsAttempt.set(id, true);
        }
        open.clear();
        const skipped = [...(e as EventRecord<"run.resumed">).payload.skippedSteps].sort();
        const expected = Object.keys(out.checkpoints).sort();
        if (skipped.join() !== expected.join()) {
          problem(e, `skippedSteps [${skipped}] but the events checkpointed [${expected}]`);
        }
        break;
      }
      case "run.interrupted":
        out.run = { ...out.run, status: "running" };
        break;
      case "run.succeeded":
        out.run = { status: "succeeded", reason: "succeeded", error: null };
        break;
      case "run.degraded": {
        out.run = { status: "degraded", reason: "degraded", error: null };
        const p = (e as EventRecord<"run.degraded">).payload;
        for (const id of p.skipped) {
          const cp = out.checkpoints[id];
          if (!cp || (cp.reason !== "degraded" && cp.status !== "succeeded")) {
            problem(e, `lists '${id}' as degraded, but no event degraded it`);
          }
        }
        for (const id of degradedSkips) {
          if (!p.skipped.includes(id)) problem(e, `does not list '${id}', skipped as degraded`);
        }
        break;
      }
      case "run.failed": {
        const p = (e as EventRecord<"run.failed">).payload;
        out.run = { status: "failed", reason: p.reason, error: p.error ?? null };
        for (const id of p.failedSteps) {
          if (out.steps[id]?.status !== "failed") problem(e, `names '${id}' failed, but it is not`);
        }
        break;
      }
      case "run.cancelled":
        out.run = { status: "cancelled", reason: "cancelled", error: null };
        break;
      case "run.blocked": {
        const p = (e as EventRecord<"run.blocked">).payload;
        out.run = { ...out.run, status: "blocked", reason: p.reason };
        break;
      }
      case "run.escalated": {
        const p = (e as EventRecord<"run.escalated">).payload;
        out.run = { ...out.run, status: "waiting", reason: "escalated" };
        if (p.stepId !== null) {
          const s = step(p.stepId);
          s.status = "waiting";
          s.reason = "escalated";
          const by = lastStrategy.get(p.stepId);
          if (by !== "escalate" && by !== "retry") {
            problem(e, `step '${p.stepId}' escalated without an escalate (or budget) decision`);
          }
          allowsAttempt.set(p.stepId, false);
        }
        break;
      }
      case "step.started": {
        const p = (e as EventRecord<"step.started">).payload;
        const s = step(p.stepId);
        if (s.attempts > 0 && allowsAttempt.get(p.stepId) !== true) {
          problem(e, `attempt ${p.attempt} of '${p.stepId}' started, but no decision asked for it`);
        }
        if (p.attempt <= s.lastAttempt) problem(e, `attempt ${p.attempt} of '${p.stepId}' is not new`);
        s.attempts++;
        s.lastAttempt = p.attempt;
        s.status = "running";
        s.reason = null;
        s.lastAttemptStatus = "running";
        open.set(p.stepId, p.attempt);
        allowsAttempt.set(p.stepId, false);
        break;
      }
      case "recovery.decided": {
        const p = (e as EventRecord<"recovery.decided">).payload;
        const attempt = open.get(p.stepId);
        // Attempt 0: the call never started (e.g. refused by an open circuit).
        if (p.attempt !== 0 && attempt !== p.attempt) {
          problem(e, `decides after attempt ${p.attempt} of '${p.stepId}', but attempt ${attempt} is open`);
        }
        if (p.attempt !== 0 && attempt === p.attempt) step(p.stepId).lastAttemptStatus = "failed";
        open.delete(p.stepId);
        lastStrategy.set(p.stepId, p.strategy);
        const retrying = RETRYING.has(p.strategy) && (p.delayMs !== undefined || p.alternative !== undefined);
        allowsAttempt.set(p.stepId, retrying);
        if (retrying) step(p.stepId).status = "retrying";
        break;
      }
      case "stage.timed_out": {
        const p = (e as EventRecord<"stage.timed_out">).payload;
        if (p.action === "retry") for (const id of p.unfinished) allowsAttempt.set(id, true);
        break;
      }
      case "step.retrying":
        step((e as EventRecord<"step.retrying">).payload.stepId).status = "retrying";
        break;
      case "step.succeeded": {
        const p = (e as EventRecord<"step.succeeded">).payload;
        const s = step(p.stepId);
        if (open.get(p.stepId) !== p.attempt)
          problem(e, `attempt ${p.attempt} of '${p.stepId}' was not open`);
        open.delete(p.stepId);
        s.status = "succeeded";
        s.reason = "succeeded";
        s.lastAttemptStatus = "succeeded";
        out.checkpoints[p.stepId] = {
          status: "succeeded",
          reason: "succeeded",
          attempts: p.attempt,
          outputs: p.outputs,
        };
        break;
      }
      case "step.failed": {
        const p = (e as EventRecord<"step.failed">).payload;
        const s = step(p.stepId);
        open.delete(p.stepId);
        s.status = "failed";
        s.reason = p.reason;
        if (p.attempt > 0 && p.attempt === s.lastAttempt) s.lastAttemptStatus = "failed";
        allowsAttempt.set(p.stepId, false);
        if (p.continued) {
          out.checkpoints[p.stepId] = {
            status: "failed",
            reason: "continued_on_error",
            attempts: p.attempt,
            outputs: {},
          };
        }
        break;
      }
      case "step.skipped": {
        const p = (e as EventRecord<"step.skipped">).payload;
        const s = step(p.stepId);
        open.delete(p.stepId);
        s.status = "skipped";
        s.reason = p.reason;
        if (p.reason === "degraded") degradedSkips.add(p.stepId);
        out.checkpoints[p.stepId] = { status: "skipped", reason: p.reason, attempts: 0, outputs: {} };
        break;
      }
      case "step.cancelled": {
        const p = (e as EventRecord<"step.cancelled">).payload;
        const s = step(p.stepId);
        open.delete(p.stepId);
        s.status = "cancelled";
        s.reason = p.reason;
        // Attempt 0: cancelled between attempts (e.g. while waiting to retry).
        if (p.attempt > 0 && p.attempt === s.lastAttempt) s.lastAttemptStatus = "cancelled";
        allowsAttempt.set(p.stepId, false);
        break;
      }
      case "recovery.succeeded": {
        const p = (e as EventRecord<"recovery.succeeded">).payload;
        if (!lastStrategy.has(p.stepId)) problem(e, `'${p.stepId}' recovered without a decision`);
        break;
      }
      case "recovery.failed": {
        const p = (e as EventRecord<"recovery.failed">).payload;
        if (!lastStrategy.has(p.stepId)) problem(e, `'${p.stepId}' failed recovery without a decision`);
        break;
      }
      default:
        break;
    }
  }
  return out;
}

/** A step's status as the journal's tables show it, for comparing with `replay`. */
export interface RecordedState {
  run: RunRecord | undefined;
  checkpoints: CheckpointRecord[];
  /** When given, each step's attempts are compared too (count, and the last one's status). */
  attempts?: AttemptRecord[];
}

/**
 * Differences between the replayed state and the recorded one: run status, reason and error
 * message; the set of checkpoints and each one's status, reason, attempts and outputs. Empty
 * when the events explain the recorded state.
 */
export function diffState(replayed: Replayed, recorded: RecordedState): string[] {
  const diffs: string[] = [];
  const run = recorded.run;
  if (!run) return ["no run record"];
  if (replayed.run.status !== run.status) {
    diffs.push(`run status: events say ${replayed.run.status}, journal says ${run.status}`);
  }
  if ((replayed.run.reason ?? null) !== (run.reason ?? null)) {
    diffs.push(`run reason: events say ${replayed.run.reason}, journal says ${run.reason}`);
  }
  if (run.status === "failed" && (replayed.run.error?.message ?? null) !== (run.error?.message ?? null)) {
    diffs.push(`run error: events say ${replayed.run.error?.message}, journal says ${run.error?.message}`);
  }
  const recordedIds = recorded.checkpoints.map((c) => c.stepId).sort();
  const replayedIds = Object.keys(replayed.checkpoints).sort();
  if (recordedIds.join() !== replayedIds.join()) {
    diffs.push(`checkpoints: events imply [${replayedIds}], journal has [${recordedIds}]`);
  }
  for (const cp of recorded.checkpoints) {
    const mine = replayed.checkpoints[cp.stepId];
    if (!mine) continue;
    const a = { status: mine.status, reason: mine.reason, attempts: mine.attempts, outputs: mine.outputs };
    const b = { status: cp.status, reason: cp.reason, attempts: cp.attempts, outputs: cp.outputs };
    if (JSON.stringify(a) !== JSON.stringify(b)) {
      diffs.push(
        `checkpoint ${cp.stepId}: events imply ${JSON.stringify(a)}, journal has ${JSON.stringify(b)}`,
      );
    }
  }
  if (recorded.attempts) {
    for (const [id, step] of Object.entries(replayed.steps)) {
      const mine = recorded.attempts.filter((a) => a.stepId === id).sort((a, b) => a.attempt - b.attempt);
      if (mine.length !== step.attempts) {
        diffs.push(`step ${id}: events started ${step.attempts} attempts, journal has ${mine.length}`);
      }
      const last = mine.at(-1);
      if (last && (last.attempt !== step.lastAttempt || last.status !== step.lastAttemptStatus)) {
        diffs.push(
          `step ${id}: events end attempt ${step.lastAttempt} ${step.lastAttemptStatus}, ` +
            `journal has attempt ${last.attempt} ${last.status}`,
        );
      }
    }
  }
  return diffs;
}
