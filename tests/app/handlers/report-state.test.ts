import type { RunReport } from "stageflow";
import { describe, expect, it } from "vitest";
import { checkRunState } from "../../../src/app/handlers/report-state.js";

/** A report with the given state, and an approval step `gate` in the given state. */
function report(state: RunReport["state"], options: { reason?: string; gate?: string } = {}): RunReport {
  return {
    state,
    run: {
      status: state === "interrupted" ? "running" : state,
      reason: options.reason ?? null,
      definition: {
        stages: [
          {
            id: "s",
            steps: [
              { id: "gate", approval: {} },
              { id: "w", wait: "1h" },
            ],
          },
        ],
      },
    },
    stages: [
      {
        id: "s",
        steps: [
          { id: "gate", status: options.gate ?? "succeeded" },
          { id: "w", status: "succeeded" },
        ],
      },
    ],
  } as unknown as RunReport;
}

const ids = (state: ReturnType<typeof checkRunState>) => state.actions.map((a) => a.identifier);

describe("a run's state on GitHub", () => {
  it.each([
    ["succeeded", "success"],
    ["degraded", "neutral"],
    ["failed", "failure"],
    ["cancelled", "cancelled"],
  ] as const)("%s is completed with %s", (state, conclusion) => {
    expect(checkRunState(report(state))).toMatchObject({ status: "completed", conclusion });
  });

  it("only a failed run offers Retry; finished runs offer nothing", () => {
    expect(ids(checkRunState(report("failed")))).toEqual(["retry"]);
    expect(ids(checkRunState(report("succeeded")))).toEqual([]);
  });

  it("waiting for an approval is action_required with Approve and Cancel", () => {
    expect(checkRunState(report("waiting", { reason: "parked", gate: "running" }))).toMatchObject({
      status: "completed",
      conclusion: "action_required",
    });
    expect(ids(checkRunState(report("waiting", { reason: "parked", gate: "running" })))).toEqual([
      "approve",
      "cancel",
    ]);
  });

  it("waiting elsewhere before an approval step is reached is in progress, with no Approve", () => {
    const before = checkRunState(report("waiting", { reason: "parked", gate: "pending" }));
    expect(before).toMatchObject({ status: "in_progress" });
    expect(ids(before)).toEqual(["cancel"]);
  });

  it("waiting for a time is in progress; waiting for a person (escalated), blocked or interrupted offer Resume", () => {
    expect(checkRunState(report("waiting", { reason: "parked" }))).toMatchObject({ status: "in_progress" });
    expect(ids(checkRunState(report("waiting", { reason: "parked" })))).toEqual(["cancel"]);
    expect(ids(checkRunState(report("waiting", { reason: "escalated" })))).toEqual(["resume", "cancel"]);
    expect(ids(checkRunState(report("blocked")))).toEqual(["resume", "cancel"]);
    expect(ids(checkRunState(report("interrupted")))).toEqual(["resume", "cancel"]);
    expect(checkRunState(report("running"))).toMatchObject({ status: "in_progress" });
  });

  it("button labels fit GitHub's limits (label 20, description 40, identifier 20)", () => {
    for (const state of ["failed", "blocked", "running"] as const) {
      for (const a of checkRunState(report(state)).actions) {
        expect(a.label.length).toBeLessThanOrEqual(20);
        expect(a.description.length).toBeLessThanOrEqual(40);
        expect(a.identifier.length).toBeLessThanOrEqual(20);
      }
    }
  });
});
