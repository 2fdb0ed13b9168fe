/**
 * A run's performance score (0–100) and letter grade (A–F). The formula, documented in
 * docs/operations.md ("Performance report and grade"):
 *
 *   score = 100 − speed − errors − recovery − outcome − anomalies   (rounded, at least 0)
 *   speed     = 40 × mean over stages with a baseline of clamp(ratio − 1, 0, 1)
 *   errors    = 30 × error rate (failed attempts / finished attempts)
 *   recovery  = 20 × (1 − recovery rate) (episodes recovered / episodes ended; 0 without episodes)
 *   outcome   = 10 for a failed run, 5 for a degraded one, else 0
 *   anomalies = 5 per stage flagged slower than its learned history, at most 10
 *
 *   A ≥ 90, B ≥ 80, C ≥ 70, D ≥ 60, F below.
 */

export type Grade = "A" | "B" | "C" | "D" | "F";

/** The weights of the formula above. */
export const GRADE_WEIGHTS = {
  speed: 40,
  errors: 30,
  recovery: 20,
  failed: 10,
  degraded: 5,
  anomaly: 5,
  anomalies: 10,
} as const;

/** The lowest score of each grade, best first. */
export const GRADE_FLOORS: ReadonlyArray<readonly [Grade, number]> = [
  ["A", 90],
  ["B", 80],
  ["C", 70],
  ["D", 60],
  ["F", 0],
];

/** What the score is computed from. */
export interface ScoreInput {
  /** duration / baseline of each stage that has a baseline and a duration. */
  ratios: readonly number[];
  /** Failed attempts / finished attempts; null when no attempt finished. */
  errorRate: number | null;
  /** Recovered episodes / ended episodes; null when there was none. */
  recoveryRate: number | null;
  /** The run's state (RunReport.state). */
  state: string;
  /** Stages flagged as anomalies slower than their learned history. */
  slowAnomalies: number;
}

/** Points taken off, by part of the formula (each rounded to 0.1). */
export interface Penalties {
  speed: number;
  errors: number;
  recovery: number;
  outcome: number;
  anomalies: number;
}

export interface Score {
  score: number;
  grade: Grade;
  penalties: Penalties;
}

const clamp01 = (x: number) => Math.min(1, Math.max(0, x));
const tenth = (x: number) => Math.round(x * 10) / 10;

/** The score and grade of a run (see the formula above). Pure. */
export function scoreRun(input: ScoreInput): Score {
  const w = GRADE_WEIGHTS;
  const slowness = input.ratios.length
    ? input.ratios.reduce((sum, r) => sum + clamp01(r - 1), 0) / input.ratios.length
    : 0;
  const penalties: Penalties = {
    speed: tenth(w.speed * slowness),
    errors: tenth(w.errors * clamp01(input.errorRate ?? 0)),
    recovery: tenth(w.recovery * (input.recoveryRate === null ? 0 : 1 - clamp01(input.recoveryRate))),
    outcome: input.state === "failed" ? w.failed : input.state === "degraded" ? w.degraded : 0,
    anomalies: Math.min(w.anomalies, w.anomaly * Math.max(0, input.slowAnomalies)),
  };
  const lost =
    penalties.speed + penalties.errors + penalties.recovery + penalties.outcome + penalties.anomalies;
  const score = Math.max(0, Math.round(100 - lost));
  return { score, grade: gradeOf(score), penalties };
}

/** The letter of a score: A ≥ 90, B ≥ 80, C ≥ 70, D ≥ 60, F below. */
export function gradeOf(score: number): Grade {
  for (const [grade, floor] of GRADE_FLOORS) if (score >= floor) return grade;
  return "F";
}
