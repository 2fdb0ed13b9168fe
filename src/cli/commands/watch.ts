import {
  type EngineEvent,
  type RunHandle,
  type RunResult,
  skeletonOf,
  type WorkflowPlan,
} from "../../index.js";
import { combineExitCodes, EXIT, exitCodeForStatus } from "../exit-codes.js";
import { hintCommand } from "../hint.js";
import type { CliIo, StopSignal } from "../io.js";
import { runMasker } from "../mask.js";
import { writeJson, writeNote, writeText } from "../output.js";
import { liveProgress, type ProgressSink, plainProgress, silentProgress } from "../render/live.js";
import type { ProgressSeed } from "../render/progress-model.js";
import { progressMode, useColor } from "../render/terminal.js";
import { renderReport, runJson } from "../render/report.js";
import type { CliRoot } from "../root.js";
import { isRoutable } from "../stderr-route.js";

/**
 * Progress for the runs this process drives, and the signals that stop them: both subscribed
 * before the runs start, so no event is missed and a SIGTERM during start-up still stops them
 * gracefully.
 */
export interface Watch extends ProgressSink {
  /** Settles with the first SIGINT or SIGTERM received since the watch began. */
  stopped: Promise<StopSignal>;
  /** Unsubscribes from the engine and the signals, and stops drawing. */
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
  let offSignals = () => {};
  const stopped = new Promise<StopSignal>((resolve) => {
    offSignals = io.onInterrupt?.((signal) => resolve(signal ?? "SIGINT")) ?? offSignals;
  });
  let disposed = false;
  return {
    ...sink,
    stopped,
    dispose() {
      if (disposed) return;
      disposed = true;
      off();
      offSignals();
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
 * After SIGINT or SIGTERM: the engine interrupts the runs (their steps' process groups are
 * stopped), releases their leases and closes the journal. The runs stay `running`, and `resume`
 * takes them over at once. A step in flight is not recorded and runs again on resume
 * (at-least-once).
 */
async function stopRuns(root: CliRoot): Promise<void> {
  await root.close();
}

type Outcome = { interrupted: StopSignal } | { interrupted: false; results: RunResult[] };

/** Waits for the runs to stop in this process, or for a stop signal (the runs then stay resumable). */
export async function awaitRuns(watch: Watch, handles: readonly RunHandle[]): Promise<Outcome> {
  const done = Promise.all(handles.map((h) => h.done));
  done.catch(() => {});
  return Promise.race([
    done.then((results): Outcome => ({ interrupted: false, results })),
    watch.stopped.then((signal): Outcome => ({ interrupted: signal })),
  ]);
}

/**
 * Awaits the runs, then prints each final report (or one JSON document) and returns the exit
 * code: the worst of the runs' codes, or 130 (SIGINT) / 143 (SIGTERM) when stopped by a signal.
 */
export async function finishRuns(
  root: CliRoot,
  io: CliIo,
  watch: Watch,
  handles: readonly RunHandle[],
  opts: { many?: boolean } = {},
): Promise<number> {
  const outcome = await awaitRuns(watch, handles);
  watch.dispose();
  const json = root.config.values.json;
  const resumeHint = (runId: string) => hintCommand(io, root.config, `resume ${runId}`);
  if (outcome.interrupted) {
    const signal = outcome.interrupted;
    await stopRuns(root);
    const what = signal === "SIGTERM" ? "terminated (SIGTERM)" : "interrupted";
    for (const h of handles) writeNote(io, `${what}; resume with: ${resumeHint(h.runId)}`);
    if (json) writeJson(io, { interrupted: true, signal, runs: handles.map((h) => h.runId) });
    return signal === "SIGTERM" ? EXIT.terminated : EXIT.interrupted;
  }
  const reports = await Promise.all(handles.map((h) => root.engine.report(h.runId)));
  const masker = runMasker(
    reports.map((r) => r.run),
    io.env,
  );
  if (json) writeJson(io, opts.many ? reports.map(runJson) : reports[0] && runJson(reports[0]), masker);
  else for (const report of reports) writeText(io, `\n${renderReport(report, resumeHint)}`, masker);
  return combineExitCodes(outcome.results.map((r) => exitCodeForStatus(r.status)));
}
