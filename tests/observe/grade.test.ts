import { describe, expect, it } from "vitest";
import { gradeOf, type ScoreInput, scoreRun } from "../../src/observe/grade.js";

const base: ScoreInput = {
  ratios: [],
  errorRate: null,
  recoveryRate: null,
  state: "succeeded",
  slowAnomalies: 0,
};

describe("the grade formula (docs/operations.md)", () => {
  it.each([
    // what, input, score, grade, penalties
    ["every stage on its baseline, nothing failed", { ratios: [1, 0.9] }, 100, "A", {}],
    ["no baseline and no attempt: nothing to take off", {}, 100, "A", {}],
    [
      "the seed's example: 0.52× and 1.5×, 5% errors, all recovered",
      { ratios: [0.52, 1.5], errorRate: 0.05, recoveryRate: 1 },
      89,
      "B",
      { speed: 10, errors: 1.5, recovery: 0 },
    ],
    ["one stage at twice its baseline", { ratios: [2] }, 60, "D", { speed: 40 }],
    ["slowness is capped at 2× per stage", { ratios: [5, 1] }, 80, "B", { speed: 20 }],
    ["1.5× and 10% errors", { ratios: [1.5], errorRate: 0.1 }, 77, "C", { speed: 20, errors: 3 }],
    [
      "degraded, 20% errors, everything recovered",
      { ratios: [1.1], errorRate: 0.2, recoveryRate: 1, state: "degraded" },
      85,
      "B",
      { speed: 4, errors: 6, outcome: 5 },
    ],
    [
      "failed: 3× slow, half the attempts failed, half the episodes lost",
      { ratios: [3], errorRate: 0.5, recoveryRate: 0.5, state: "failed" },
      25,
      "F",
      { speed: 40, errors: 15, recovery: 10, outcome: 10 },
    ],
    ["three slow anomalies cost at most 10", { ratios: [1], slowAnomalies: 3 }, 90, "A", { anomalies: 10 }],
    ["one slow anomaly", { slowAnomalies: 1, errorRate: 0.2 }, 89, "B", { errors: 6, anomalies: 5 }],
    [
      "nothing left: the score stays at 0",
      { ratios: [9], errorRate: 1, recoveryRate: 0, state: "failed", slowAnomalies: 4 },
      0,
      "F",
      { speed: 40, errors: 30, recovery: 20, outcome: 10, anomalies: 10 },
    ],
  ] as const)("%s", (_what, input, score, grade, penalties) => {
    const result = scoreRun({ ...base, ...input });
    expect(result.score).toBe(score);
    expect(result.grade).toBe(grade);
    expect(result.penalties).toEqual({
      speed: 0,
      errors: 0,
      recovery: 0,
      outcome: 0,
      anomalies: 0,
      ...penalties,
    });
  });

  it.each([
    [100, "A"],
    [90, "A"],
    [89, "B"],
    [80, "B"],
    [79, "C"],
    [70, "C"],
    [69, "D"],
    [60, "D"],
    [59, "F"],
    [0, "F"],
  ] as const)("score %d is grade %s", (score, grade) => {
    expect(gradeOf(score)).toBe(grade);
  });
});
