import { describe, expect, it } from "vitest";
import type { ErrorInfo } from "../../../src/engine/errors.js";
import type { EventPayloads } from "../../../src/engine/events.js";
import { recoveryStats } from "../../../src/engine/recovery/index.js";

const error: ErrorInfo = { name: "Error", message: "boom" };
type Decided = EventPayloads["recovery.decided"];
type Ended = EventPayloads["recovery.succeeded"];

function decided(strategy: Decided["strategy"], errorType: Decided["errorType"], patternId: string | null) {
  const payload: Decided = { stageId: "s", stepId: "a", attempt: 1, patternId, errorType, strategy, error };
  return { type: "recovery.decided", payload };
}

function succeeded(
  strategy: Ended["strategy"],
  errorType: Ended["errorType"],
  patternId: string | null,
  ms: number,
) {
  const payload: Ended = {
    stageId: "s",
    stepId: "a",
    patternId,
    errorType,
    strategy,
    attempts: 2,
    recoveryMs: ms,
  };
  return { type: "recovery.succeeded", payload };
}

function failed(
  strategy: EventPayloads["recovery.failed"]["strategy"],
  errorType: Ended["errorType"],
  patternId: string | null,
  ms: number,
) {
  const payload: EventPayloads["recovery.failed"] = {
    stageId: "s",
    stepId: "a",
    patternId,
    errorType,
    strategy,
    attempts: 2,
    recoveryMs: ms,
    reason: "retries_exhausted",
  };
  return { type: "recovery.failed", payload };
}

/** Five episodes from five runs: 3 recovered, 2 not. */
const events = [
  { type: "step.started", payload: { stageId: "s", stepId: "a", attempt: 1 } },
  decided("retry", "network", "network"),
  decided("retry", "network", "network"),
  succeeded("retry", "network", "network", 3_000),
  decided("retry", "rate_limit", "http_429"),
  succeeded("retry", "rate_limit", "http_429", 7_000),
  decided("alternative", "network", "mirror_down"),
  decided("alternative", "network", "mirror_down"),
  failed("alternative", "network", "mirror_down", 5_000),
  decided("step_retry", "unknown", null),
  succeeded("step_retry", "unknown", null, 1_000),
  decided("give_up", "unknown", null),
  failed("give_up", "unknown", null, 0),
  { type: "recovery.decided", payload: null },
  { type: "recovery.budget_refused", payload: { strategy: "retry", errorType: "network" } },
];

const row = (attempts: number, episodes: number, successes: number, recoveryMs: number) => ({
  attempts,
  episodes,
  successes,
  failures: episodes - successes,
  successRate: episodes > 0 ? successes / episodes : null,
  recoveryMs,
});

describe("recoveryStats", () => {
  it("aggregates decisions and episodes overall, by strategy, error type and pattern", () => {
    const stats = recoveryStats(events);
    expect(stats.overall).toEqual(row(7, 5, 3, 16_000));
    expect(stats.overall.successRate).toBe(0.6);
    expect(stats.byStrategy).toEqual({
      retry: row(3, 2, 2, 10_000),
      alternative: row(2, 1, 0, 5_000),
      step_retry: row(1, 1, 1, 1_000),
      give_up: row(1, 1, 0, 0),
    });
    expect(stats.byErrorType).toEqual({
      network: row(4, 2, 1, 8_000),
      rate_limit: row(1, 1, 1, 7_000),
      unknown: row(2, 2, 1, 1_000),
    });
    expect(stats.byPattern).toEqual({
      network: row(2, 1, 1, 3_000),
      http_429: row(1, 1, 1, 7_000),
      mirror_down: row(2, 1, 0, 5_000),
      "(none)": row(2, 2, 1, 1_000),
    });
    expect(stats.target).toBe(0.9);
    expect(stats.meetsTarget).toBe(false);
  });

  it("meets the 90% target at exactly 90%", () => {
    const many = [
      ...Array.from({ length: 9 }, () => succeeded("retry", "network", "network", 100)),
      failed("retry", "network", "network", 100),
    ];
    const stats = recoveryStats(many);
    expect(stats.overall).toEqual(row(0, 10, 9, 1_000));
    expect(stats.meetsTarget).toBe(true);
    expect(recoveryStats(many, 0.95).meetsTarget).toBe(false);
  });

  it("has no rate when no episode ended", () => {
    const stats = recoveryStats([decided("escalate", "security", "security")]);
    expect(stats.overall).toEqual(row(1, 0, 0, 0));
    expect(stats.overall.successRate).toBeNull();
    expect(stats.meetsTarget).toBeNull();
    expect(recoveryStats([]).byStrategy).toEqual({});
  });
});
