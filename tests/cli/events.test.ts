import { describe, expect, it } from "vitest";
import { eventLine } from "../../src/cli/render/describe-event.js";
import { renderHistory } from "../../src/cli/render/history.js";
import type { EngineEvent, EventPayloads, EventRecord, EventType } from "../../src/engine/events.js";
import { runRecord } from "./fixtures.js";

const AT = new Date(2024, 0, 15, 12, 0, 1, 234).getTime();

function event<T extends EventType>(type: T, payload: EventPayloads[T], at = AT): EngineEvent {
  return {
    runId: "3f2a9c1e-0000-7000-8000-00005c1e0a7d",
    correlationId: "c",
    type,
    at,
    payload,
  } as EngineEvent;
}

describe("plain progress lines", () => {
  it("prints one line per event with the local time, subject, verb and details", () => {
    const ok = event("step.succeeded", {
      stageId: "build",
      stepId: "linux",
      attempt: 2,
      durationMs: 1200,
      outputs: {},
    });
    expect(eventLine(ok)).toBe("12:00:01.234 build/linux succeeded (1.2s, attempt 2)");
    const retry = event("step.retrying", {
      stageId: "build",
      stepId: "linux",
      attempt: 1,
      delayMs: 400,
      error: { name: "Error", message: "connection refused\nat line 2" },
    });
    // The error was said by the recovery.decided line just before: not twice.
    expect(eventLine(retry)).toBe("12:00:01.234 build/linux retrying in 400ms (attempt 1 failed)");
    expect(eventLine(event("stage.started", { stageId: "build" }), { runPrefix: true })).toBe(
      "12:00:01.234 [5c1e0a7d] build started",
    );
  });

  it("describes failures with their reason and masked message", () => {
    const token = `ghs_${"a".repeat(36)}`;
    const failed = event("step.failed", {
      stageId: "publish",
      stepId: "upload",
      attempt: 3,
      reason: "retries_exhausted",
      error: { name: "HttpError", message: `401 for ${token}` },
      durationMs: 50,
      continued: false,
    });
    expect(eventLine(failed)).toBe(
      "12:00:01.234 publish/upload failed (retries_exhausted, 50ms, attempt 3): 401 for ***",
    );
    const runFailed = event("run.failed", {
      reason: "retries_exhausted",
      failedSteps: ["upload"],
      durationMs: 61_000,
    });
    expect(eventLine(runFailed)).toBe("12:00:01.234 run failed (retries_exhausted, 1m1s, failed: upload)");
  });
});

describe("recovery and escalation lines", () => {
  it("names the strategy, pattern and the person's cue", () => {
    const decided = event("recovery.decided", {
      stageId: "build",
      stepId: "linux",
      attempt: 1,
      patternId: "mirror_down",
      errorType: "network",
      strategy: "alternative",
      error: { name: "Error", message: "ECONNREFUSED mirror-a" },
      alternative: 0,
    });
    expect(eventLine(decided)).toBe(
      "12:00:01.234 build/linux attempt 1 failed → alternative 1 (network, pattern mirror_down): ECONNREFUSED mirror-a",
    );
    const escalated = event("run.escalated", {
      stageId: "build",
      stepId: "scan",
      patternId: "security",
      severity: "critical",
      notify: "pagerduty",
      error: { name: "Error", message: "security check failed" },
      context: {},
    });
    expect(eventLine(escalated)).toBe(
      "12:00:01.234 run escalated (critical, at build/scan, notify pagerduty): security check failed",
    );
  });
});

describe("history", () => {
  it("replays the events in order with offsets, types, subjects and details", () => {
    const records = [
      event("run.started", { workflow: "release", inputs: {}, trigger: { kind: "cli" } }),
      event("step.started", { stageId: "build", stepId: "linux", attempt: 1 }, AT + 10),
      event(
        "step.retrying",
        {
          stageId: "build",
          stepId: "linux",
          attempt: 1,
          delayMs: 400,
          error: { name: "E", message: "boom" },
        },
        AT + 1500,
      ),
      event("run.succeeded", { durationMs: 2000 }, AT + 2000),
    ].map((e, i) => ({ ...e, seq: i + 1, hash: `h${i}` }) as EventRecord);
    const lines = renderHistory(runRecord(), records).trimEnd().split("\n");
    expect(lines[0]).toBe(
      "run 3f2a9c1e-0000-4000-8000-000000000001 (release), 4 events, from 2024-01-15 12:00:01",
    );
    expect(lines.slice(1)).toEqual([
      "TIME     EVENT          SUBJECT      DETAILS",
      "+0.000s  run.started    run          workflow release, cli",
      "+0.010s  step.started   build/linux  attempt 1",
      "+1.500s  step.retrying  build/linux  retrying in 400ms, attempt 1 failed",
      "+2.000s  run.succeeded  run          2s",
    ]);
  });
});
