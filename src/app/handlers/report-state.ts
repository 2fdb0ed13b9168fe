/**
 * What a run's state means on GitHub: the check run's status and conclusion, and the buttons
 * (requested actions) it offers.
 */
import type { RunReport } from "../../engine/index.js";
import type { CheckRunAction } from "./deps.js";
import { waitingApproval } from "./steer.js";

export interface CheckRunState {
  status: "in_progress" | "completed";
  conclusion?: "success" | "neutral" | "failure" | "cancelled" | "action_required";
  actions: CheckRunAction[];
}

const RETRY: CheckRunAction = {
  label: "Retry failed",
  description: "Run the failed steps again",
  identifier: "retry",
};
const RESUME: CheckRunAction = {
  label: "Resume",
  description: "Continue the run where it stopped",
  identifier: "resume",
};
const APPROVE: CheckRunAction = {
  label: "Approve",
  description: "Approve the waiting step",
  identifier: "approve",
};
const CANCEL: CheckRunAction = { label: "Cancel", description: "Cancel the run", identifier: "cancel" };

/**
 * succeeded → success, degraded → neutral, failed → failure, cancelled → cancelled, waiting for
 * an approval → action_required (completed, with Approve), anything else in progress.
 */
export function checkRunState(report: RunReport): CheckRunState {
  switch (report.state) {
    case "succeeded":
      return { status: "completed", conclusion: "success", actions: [] };
    case "degraded":
      return { status: "completed", conclusion: "neutral", actions: [] };
    case "cancelled":
      return { status: "completed", conclusion: "cancelled", actions: [] };
    case "failed":
      // Failed is resumable (retry): the run may still change.
      return { status: "completed", conclusion: "failure", actions: [RETRY] };
    case "waiting":
      if (waitingApproval(report.run, report)) {
        return {
          status: "completed",
          conclusion: "action_required",
          actions: [APPROVE, CANCEL],
        };
      }
      return {
        status: "in_progress",
        actions: report.run.reason === "parked" ? [CANCEL] : [RESUME, CANCEL],
      };
    case "blocked":
    case "interrupted":
      return { status: "in_progress", actions: [RESUME, CANCEL] };
    case "running":
      return { status: "in_progress", actions: [CANCEL] };
  }
}
