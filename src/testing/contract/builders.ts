import { checkpointChecksum } from "../../engine/canonical.js";
import type { EventType, NewEvent } from "../../engine/events.js";
import type { AttemptFinish, AttemptStart, NewCheckpoint, NewRun } from "../../engine/journal.js";

/** Builders for journal records, shared by the contract suite and the store tests. */

export function newRun(id: string, overrides: Partial<NewRun> = {}): NewRun {
  return {
    id,
    workflow: "deploy",
    definition: { name: "deploy", stages: [{ id: "build", steps: [{ id: "compile" }] }] },
    definitionHash: "def-hash-1",
    source: ".github/stageflow/deploy.yml",
    trigger: { kind: "cli", actor: "octocat" },
    correlationId: `corr-${id}`,
    inputs: { ref: "main" },
    createdAt: 1_000,
    lease: { owner: "host-a", expiresAt: 31_000 },
    ...overrides,
  };
}

export function event<T extends EventType>(
  runId: string,
  type: T,
  payload: NewEvent<T>["payload"],
  extra: Partial<NewEvent<T>> = {},
): NewEvent<T> {
  return { runId, correlationId: `corr-${runId}`, type, at: 2_000, payload, ...extra };
}

export const started = (runId: string): NewEvent<"run.started"> =>
  event(runId, "run.started", { workflow: "deploy", inputs: { ref: "main" }, trigger: { kind: "cli" } });

export function attemptStart(runId: string, stepId: string, attempt = 1): AttemptStart {
  return { runId, stageId: "build", stepId, attempt, startedAt: 3_000 + attempt };
}

export function attemptFinish(
  runId: string,
  stepId: string,
  attempt = 1,
  outputs = { ok: true },
): AttemptFinish {
  return {
    runId,
    stepId,
    attempt,
    status: "succeeded",
    reason: "succeeded",
    finishedAt: 4_000 + attempt,
    outputs,
    decision: "done",
  };
}

export function checkpoint(
  runId: string,
  stepId: string,
  status: NewCheckpoint["status"] = "succeeded",
  outputs: Record<string, unknown> = { ok: true },
): NewCheckpoint {
  const identity = `identity-${stepId}`;
  return {
    runId,
    stageId: "build",
    stepId,
    identity,
    status,
    reason: status === "failed" ? "retries_exhausted" : status,
    outputs,
    attempts: 1,
    startedAt: 3_001,
    finishedAt: 4_001,
    checksum: checkpointChecksum({ runId, stepId, identity, status, outputs }),
  };
}

export const stepSucceeded = (runId: string, stepId: string, attempt = 1): NewEvent<"step.succeeded"> =>
  event(runId, "step.succeeded", {
    stageId: "build",
    stepId,
    attempt,
    durationMs: 1_000,
    outputs: { ok: true },
  });
