/**
 * `check_run.requested_action`: the check run's buttons (Retry failed, Resume, Approve, Cancel)
 * do what the commands do, on the run the check run reports (`external_id`), refused like them
 * while the repository's settings file has problems.
 */
import { isRefused, type RunRecord } from "../../engine/index.js";
import { settingsBroken } from "./labels.js";
import { ignoredSender, type EventScope } from "./scope.js";
import { steer, type SteerKind } from "./steer.js";

const BUTTONS: Record<string, SteerKind> = {
  retry: "retry",
  resume: "resume",
  approve: "approve",
  cancel: "cancel",
};

export async function onRequestedAction(
  scope: EventScope,
  event: { identifier: string; externalId: string | null },
): Promise<void> {
  const kind = BUTTONS[event.identifier];
  if (!kind || !event.externalId) return;
  if (await ignoredSender(scope)) return;
  let run: RunRecord;
  try {
    run = (await scope.deps.engine.report(event.externalId)).run;
  } catch (error) {
    if (isRefused(error, "run_not_found")) return;
    throw error;
  }
  // A check run can only name a run of its own repository.
  const { owner, repo, issue } = run.metadata as { owner?: unknown; repo?: unknown; issue?: unknown };
  if (owner !== scope.owner || repo !== scope.repo) return;
  scope.issueNumber = typeof issue === "number" ? issue : null;
  // As for a command or a label: while the settings file has problems, who may act is unknown.
  if (await settingsBroken(scope, await scope.config())) return;
  await steer(scope, run, { kind });
}
