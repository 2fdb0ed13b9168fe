import type { WorkflowPlan } from "../../engine/definition/plan.js";
import type { RunHandle, RunResult } from "../../engine/engine-api.js";
import type { EngineEvent } from "../../engine/events.js";
import { skeletonOf } from "../../engine/run-model/from-journal.js";
import { combineExitCodes, EXIT, exitCodeForStatus } from "../exit-codes.js";
import { hintCommand } from "../hint.js";
import type { CliIo } from "../io.js";
import { writeJson, writeNote, writeText } from "../output.js";
import { liveProgress, type ProgressSink, plainProgress, silentProgress } from "../render/live.js";
import type { ProgressSeed } from "../render/progress-model.js";
import { progressMode, useColor } from "../render/terminal.js";
import { renderReport, runJson } from "../render/report.js";
import type { CliRoot } from "../root.js";
import { isRoutable } from "../stderr-route.js";

/** Progress for the runs this process drives: subscribed before they start, so no event is missed. */
export interface Watch extends ProgressSink {
  /** Unsubscribes from the engine and stops drawing. */
  dispose(): void;
}

export function watchRuns(root: CliRoot, io: CliIo, opts: { multi?: boolean } = {}): Watch {
  const mode = progressMode(io, root.config.values.json);
  const sink =
    mode === "silent"
      ? silentProgress
      : mode === "live"
        ? liveProgress(io.stdout, {
            color: useColor(io),
            ...(isRoutable(io.stderr) ? { stderr: io.stderr } : {}),
          })
        : plainProgress(io.stdout, { runPrefix: opts.multi ?? false });
  const off = root.engine.on((event) => sink.onEvent(event));
  let disposed = false;
  return {
    ...sink,
    dispose() {
      if (disposed) return;
      disposed = true;
      off();
      sink.stop();
    },
  };
}

export function seedFromPlan(plan: WorkflowPlan): ProgressSeed {
  return { workflow: plan.name, stages: plan.stages.map((s) => ({ id: s.id, steps: s.steps })) };
}

/** A resumed run: its recorded stages and steps, and the events so far, so the view continues its model. */
export async function seedFromJournal(root: CliRoot, runId: string): Promise<ProgressSeed> {
  const run = await root.journal.getRun(runId);
  const events = await root.journal.listEvents(runId);
  const skeleton = skeletonOf(run?.workflow ?? "", run?.definition);
  return { ...skeleton, events: events as EngineEvent[] };
}

/**
 * After Ctrl-C: stops lease renewal and closes the journal at once, so nothing more is recorded
 * for the runs: they stay `running` and `resume` takes them over (this process's pid is gone by
 * then). A step in flight is not recorded and runs again on resume (at-least-once).
 */
async function stopRuns(root: CliRoot): Promise<void> {
  await root.close();
}

type Outcome = { interrupted: true } | { interrupted: false; results: RunResult[] };

/** Waits for the runs to stop in this process, or for Ctrl-C (the runs then stay resumable). */
export async function awaitRuns(io: CliIo, handles: readonly RunHandle[]): Promise<Outcome> {
  let dispose = () => {};
  const interrupted = new Promise<Outcome>((resolve) => {
    dispose = io.onInterrupt?.(() => resolve({ interrupted: true })) ?? dispose;
  });
  const done = Promise.all(handles.map((h) => h.done));
  done.catch(() => {});
  try {
    return await Promise.race([
      done.then((results): Outcome => ({ interrupted: false, results })),
      interrupted,
    ]);
  } finally {
    dispose();
  }
}

/**
 * Awaits the runs, then prints each final report (or one JSON document) and returns the exit
 * code: the worst of the runs' codes, or 130 when interrupted.
 */
export async function finishRuns(
  root: CliRoot,
  io: CliIo,
  watch: Watch,
  handles: readonly RunHandle[],
  opts: { many?: boolean } = {},
): Promise<number> {
  const outcome = await awaitRuns(io, handles);
  watch.dispose();
  const json = root.config.values.json;
  const resumeHint = (runId: string) => hintCommand(io, root.config, `resume ${runId}`);
  if (outcome.interrupted) {
    await stopRuns(root);
    for (const h of handles) writeNote(io, `interrupted; resume with: ${resumeHint(h.runId)}`);
    if (json) writeJson(io, { interrupted: true, runs: handles.map((h) => h.runId) });
    return EXIT.interrupted;
  }
  const reports = await Promise.all(handles.map((h) => root.engine.report(h.runId)));
  if (json) writeJson(io, opts.many ? reports.map(runJson) : reports[0] && runJson(reports[0]));
  else for (const report of reports) writeText(io, `\n${renderReport(report, resumeHint)}`);
  return combineExitCodes(outcome.results.map((r) => exitCodeForStatus(r.status)));
}
