/** RunReports built by hand for the performance report's tests: fixed durations, no clock. */
import type { AttemptRecord, RecoveryReport, RunReport, StageReport } from "../../src/index.js";

export const T0 = Date.UTC(2026, 0, 1);

export interface StepSpec {
  id: string;
  ms: number | null;
  kind?: string;
  status?: "succeeded" | "failed" | "skipped";
  attempts?: number;
}

export interface StageSpec {
  id: string;
  mode?: "parallel" | "sequential";
  steps: StepSpec[];
  /** The stage's wall time. @default the sum of its steps (sequential) or the longest (parallel) */
  ms?: number;
  status?: StageReport["status"];
}

export interface RunSpec {
  workflow?: string;
  state?: RunReport["state"];
  stages: StageSpec[];
  baselines?: unknown;
  attempts?: AttemptRecord[];
  recovery?: RecoveryReport[];
}

/** A finished run of `spec`: stages one after the other from T0. */
export function runReport(id: string, spec: RunSpec): RunReport {
  const workflow = spec.workflow ?? "ci";
  let at = T0;
  const stages: StageReport[] = spec.stages.map((stage) => {
    const ran = stage.steps.flatMap((s) => (s.ms === null ? [] : [s.ms]));
    const wall =
      stage.ms ?? (stage.mode === "parallel" ? Math.max(0, ...ran) : ran.reduce((a, b) => a + b, 0));
    const startedAt = at;
    at += wall;
    return {
      id: stage.id,
      status: stage.status ?? "succeeded",
      reason: null,
      startedAt,
      finishedAt: startedAt + wall,
      durationMs: wall,
      steps: stage.steps.map((step) => ({
        id: step.id,
        stageId: stage.id,
        status: step.status ?? "succeeded",
        reason: null,
        attempts: step.attempts ?? (step.ms === null ? 0 : 1),
        causes: {},
        startedAt: step.ms === null ? null : startedAt,
        finishedAt: step.ms === null ? null : startedAt + step.ms,
        durationMs: step.ms,
        outputs: {},
        error: null,
      })),
    };
  });
  const state = spec.state ?? "succeeded";
  return {
    run: {
      id,
      workflow,
      definition: {
        name: workflow,
        stages: spec.stages.map((s) => ({
          id: s.id,
          mode: s.mode ?? "sequential",
          steps: s.steps.map((step) => ({ id: step.id, [step.kind ?? "run"]: "true", with: {}, env: {} })),
        })),
        ...(spec.baselines === undefined ? {} : { baselines: spec.baselines }),
      },
      definitionHash: "h",
      source: null,
      trigger: { kind: "cli" },
      correlationId: id,
      inputs: {},
      key: null,
      metadata: {},
      status: state === "interrupted" ? "running" : state,
      reason: null,
      error: null,
      leaseOwner: null,
      leaseExpiresAt: null,
      cancelRequested: false,
      createdAt: T0,
      updatedAt: at,
      finishedAt: at,
    },
    state,
    durationMs: at - T0,
    stages,
    attempts: spec.attempts ?? [],
    recovery: spec.recovery ?? [],
  };
}

/** A succeeded run of sequential one-step stages with these durations: `{ build: 1000 }`. */
export function stageRun(id: string, durations: Record<string, number>): RunReport {
  return runReport(id, {
    stages: Object.entries(durations).map(([stage, ms]) => ({
      id: stage,
      steps: [{ id: `${stage}-step`, ms }],
    })),
  });
}
