import type { RecoveryReport, RunReport, StageReport, StepReport } from "./engine-api.js";
import type { EventPayloads, EventRecord } from "./events.js";

type EventPayloadOf<T extends keyof EventPayloads> = EventPayloads[T];

import type { AttemptRecord, CheckpointRecord, RunRecord } from "./journal.js";

interface DefinitionShape {
  stages?: Array<{ id?: unknown; steps?: Array<{ id?: unknown }> }>;
}

/**
 * A run's report, from what the journal recorded (no live state needed). `interrupted`: the run
 * is `running` but nobody executes it any more (its owner is gone: see RunReport.interrupted).
 */
export function buildReport(
  run: RunRecord,
  attempts: AttemptRecord[],
  checkpoints: CheckpointRecord[],
  events: EventRecord[],
  { interrupted = false }: { interrupted?: boolean } = {},
): RunReport {
  // A cancelled run ends what it left in flight as cancelled (the stage has no end event).
  const ended = (status: string) =>
    run.status === "cancelled" && status === "running" ? "cancelled" : status;
  const cps = new Map(checkpoints.map((c) => [c.stepId, c]));
  const byStep = new Map<string, AttemptRecord[]>();
  for (const a of attempts) {
    const list = byStep.get(a.stepId) ?? [];
    list.push(a);
    byStep.set(a.stepId, list);
  }
  const stageTimes = stageEvents(events);
  const def = (run.definition ?? {}) as DefinitionShape;
  const stages: StageReport[] = (def.stages ?? []).map((stage) => {
    const id = String(stage.id);
    const steps = (stage.steps ?? []).map((s) =>
      stepReport(String(s.id), id, cps, byStep.get(String(s.id)) ?? []),
    );
    const t = stageTimes.get(id);
    const startedAt = t?.startedAt ?? null;
    const finishedAt = t?.finishedAt ?? null;
    for (const step of steps) step.status = ended(step.status) as StepReport["status"];
    return {
      id,
      status: ended(
        t?.status ??
          (steps.every((s) => s.status === "succeeded") && steps.length > 0 ? "succeeded" : "pending"),
      ) as StageReport["status"],
      startedAt,
      finishedAt,
      durationMs: startedAt !== null && finishedAt !== null ? finishedAt - startedAt : null,
      steps,
    };
  });
  return {
    run,
    durationMs: run.finishedAt !== null ? run.finishedAt - run.createdAt : null,
    interrupted: interrupted && run.status === "running",
    stages,
    attempts,
    recovery: recoveryEpisodes(events),
  };
}

/** Folds recovery.* and run.escalated events into one episode per step (the latest one). */
function recoveryEpisodes(events: EventRecord[]): RecoveryReport[] {
  const open = new Map<string, RecoveryReport>();
  const done: RecoveryReport[] = [];
  for (const e of events) {
    if (e.type === "recovery.decided") {
      const p = e.payload as EventPayloadOf<"recovery.decided">;
      let ep = open.get(p.stepId);
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
        open.set(p.stepId, ep);
        done.push(ep);
      }
      ep.attempts++;
      if (ep.strategies.at(-1) !== p.strategy) ep.strategies.push(p.strategy);
      ep.patternId = p.patternId ?? ep.patternId;
    } else if (e.type === "recovery.succeeded" || e.type === "recovery.failed") {
      const p = e.payload as EventPayloadOf<"recovery.succeeded">;
      const ep = open.get(p.stepId);
      if (!ep) continue;
      ep.outcome = e.type === "recovery.succeeded" ? "recovered" : "failed";
      ep.attempts = p.attempts;
      ep.recoveryMs = p.recoveryMs;
      open.delete(p.stepId);
    } else if (e.type === "run.escalated") {
      const stepId = (e.payload as EventPayloadOf<"run.escalated">).stepId;
      const ep = stepId ? open.get(stepId) : undefined;
      if (ep) {
        ep.outcome = "escalated";
        open.delete(ep.stepId);
      }
    }
  }
  return done;
}

function stepReport(
  id: string,
  stageId: string,
  cps: Map<string, CheckpointRecord>,
  attempts: AttemptRecord[],
): StepReport {
  const cp = cps.get(id);
  const last = attempts[attempts.length - 1];
  const first = attempts[0];
  const counted = attempts.filter((a) => a.reason !== "interrupted").length;
  if (cp) {
    return {
      id,
      stageId,
      status: cp.status,
      reason: cp.reason,
      attempts: counted,
      durationMs: cp.status === "skipped" ? null : cp.finishedAt - cp.startedAt,
      outputs: cp.outputs,
      error: cp.status === "failed" ? (last?.error ?? null) : null,
    };
  }
  if (!last) {
    return {
      id,
      stageId,
      status: "pending",
      reason: null,
      attempts: 0,
      durationMs: null,
      outputs: {},
      error: null,
    };
  }
  return {
    id,
    stageId,
    status: last.status === "succeeded" ? "running" : last.status,
    reason: last.reason,
    attempts: counted,
    durationMs: last.finishedAt !== null && first ? last.finishedAt - first.startedAt : null,
    outputs: {},
    error: last.error,
  };
}

function stageEvents(events: EventRecord[]) {
  const out = new Map<
    string,
    { startedAt: number | null; finishedAt: number | null; status: StageReport["status"] }
  >();
  for (const e of events) {
    const stageId = (e.payload as { stageId?: string }).stageId;
    if (!stageId || !e.type.startsWith("stage.")) continue;
    const t = out.get(stageId) ?? { startedAt: null, finishedAt: null, status: "pending" as const };
    if (e.type === "stage.started") {
      t.startedAt ??= e.at;
      t.status = "running";
    } else if (e.type === "stage.succeeded" || e.type === "stage.failed" || e.type === "stage.skipped") {
      t.finishedAt ??= e.at;
      if (t.status !== "timed_out") {
        t.status =
          e.type === "stage.succeeded" ? "succeeded" : e.type === "stage.failed" ? "failed" : "skipped";
      }
      t.startedAt ??= e.at;
    } else if (e.type === "stage.timed_out") {
      t.status = "timed_out";
      t.finishedAt = e.at;
    }
    out.set(stageId, t);
  }
  return out;
}
