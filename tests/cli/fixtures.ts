import type { RunReport } from "../../src/engine/engine-api.js";
import type { RunRecord } from "../../src/engine/journal.js";

const T0 = new Date(2024, 0, 15, 14, 23, 15).getTime();

export function runRecord(patch: Partial<RunRecord> = {}): RunRecord {
  return {
    id: "3f2a9c1e-0000-4000-8000-000000000001",
    workflow: "release",
    definition: {},
    definitionHash: "h",
    source: "/repo/release.yml",
    trigger: { kind: "cli" },
    correlationId: "c",
    inputs: {},
    key: null,
    metadata: {},
    status: "failed",
    reason: "retries_exhausted",
    error: { name: "RetriesExhaustedError", message: "gave up after 3 attempt(s): exit code 2" },
    leaseOwner: null,
    leaseExpiresAt: null,
    cancelRequested: false,
    createdAt: T0,
    updatedAt: T0 + 12_300,
    finishedAt: T0 + 12_300,
    ...patch,
  };
}

/** A failed run: prepare succeeded; build/linux failed after 3 attempts; build/docs skipped; publish pending. */
export function failedReport(): RunReport {
  return {
    run: runRecord(),
    state: "failed",
    durationMs: 12_300,
    attempts: [],
    recovery: [
      {
        stepId: "linux",
        patternId: "network",
        errorType: "network",
        strategies: ["retry"],
        outcome: "failed",
        attempts: 3,
        recoveryMs: 4_000,
        error: "read ECONNRESET",
      },
    ],
    stages: [
      {
        id: "prepare",
        status: "succeeded",
        reason: "succeeded",
        startedAt: T0,
        finishedAt: T0 + 1200,
        durationMs: 1200,
        steps: [
          {
            id: "check",
            stageId: "prepare",
            status: "succeeded",
            reason: "succeeded",
            attempts: 1,
            causes: {},
            startedAt: T0,
            finishedAt: T0 + 1200,
            durationMs: 1200,
            outputs: { version: "1.2.3" },
            error: null,
          },
        ],
      },
      {
        id: "build",
        status: "failed",
        reason: "retries_exhausted",
        startedAt: T0 + 1200,
        finishedAt: T0 + 12_300,
        durationMs: 11_100,
        steps: [
          {
            id: "linux",
            stageId: "build",
            status: "failed",
            reason: "retries_exhausted",
            attempts: 3,
            causes: { retry: 2 },
            startedAt: T0 + 1300,
            finishedAt: T0 + 11_100,
            durationMs: 9800,
            outputs: {},
            error: { name: "RunStepError", message: "exit code 2\nmake: *** No rule to make target" },
          },
          {
            id: "docs",
            stageId: "build",
            status: "skipped",
            reason: "degraded",
            attempts: 0,
            causes: {},
            startedAt: null,
            finishedAt: T0 + 1300,
            durationMs: null,
            outputs: {},
            error: null,
          },
        ],
      },
      {
        id: "publish",
        status: "pending",
        reason: null,
        startedAt: null,
        finishedAt: null,
        durationMs: null,
        steps: [],
      },
    ],
  };
}
