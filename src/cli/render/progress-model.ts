import {
  elapsed,
  type EngineEvent,
  RunFold,
  type RunModel,
  type RunSkeleton,
  type StepModel,
} from "../../index.js";
import { attemptsText, duration, shortId, symbol } from "./format.js";

/**
 * What progress is seeded with: the run's stages and steps in plan order, and for a resumed run
 * the events the journal already holds (folded first, so the view continues the run's model).
 */
export interface ProgressSeed extends RunSkeleton {
  events?: readonly EngineEvent[];
}

/** Events that reached the view before its seed: kept, then folded after the seed's own. */
interface Pending {
  events: EngineEvent[];
}

/**
 * The runs this process drives, each a RunFold over its events: the same fold that builds the
 * report, so the live view and the report agree.
 */
export class ProgressModel {
  private readonly folds = new Map<string, RunFold | Pending>();

  /** The run models, in the order the runs were first seen. */
  get runs(): RunModel[] {
    return [...this.folds.values()].flatMap((f) => (f instanceof RunFold ? [f.model] : []));
  }

  model(runId: string): RunModel | undefined {
    const f = this.folds.get(runId);
    return f instanceof RunFold ? f.model : undefined;
  }

  seed(runId: string, seed: ProgressSeed): void {
    const before = this.folds.get(runId);
    const fold = new RunFold(runId, seed);
    const seen = new Set<string>();
    for (const e of seed.events ?? []) {
      seen.add(identity(e));
      fold.apply(e);
    }
    const early = before instanceof RunFold ? [] : (before?.events ?? []);
    for (const e of early) if (!seen.has(identity(e))) fold.apply(e);
    this.folds.set(runId, fold);
  }

  apply(e: EngineEvent): void {
    const f = this.folds.get(e.runId);
    if (f instanceof RunFold) f.apply(e);
    else if (f) f.events.push(e);
    else this.folds.set(e.runId, { events: [e] });
  }
}

/** What tells an event apart from another of its run: its type, time and content. */
function identity(e: EngineEvent): string {
  return `${e.type}\u0000${e.at}\u0000${JSON.stringify(e.payload)}`;
}

/** The live view: one line per run, stage and step, with elapsed times as of `now`. */
export function renderProgress(model: ProgressModel, now: number): string[] {
  const lines: string[] = [];
  for (const run of model.runs) {
    const took = duration(elapsed(run, now));
    const time = took === "-" ? "" : `  ${took}`;
    lines.push(`${symbol(run.state)} ${run.workflow || "run"} ${shortId(run.id)}  ${run.state}${time}`);
    for (const stage of run.stages) {
      lines.push(`  ${line(stage.id, stage.state, [], duration(elapsed(stage, now)))}`);
      for (const step of stage.steps) lines.push(`      ${stepLine(step, now)}`);
    }
  }
  return lines;
}

function stepLine(step: StepModel, now: number): string {
  const notes: string[] = [];
  if (step.state === "running" && step.attempts > 1) notes.push(`attempt ${step.attempts}`);
  if (step.state === "retrying" && step.retryDelayMs !== null) {
    notes.push(`retry in ${duration(step.retryDelayMs)}`);
  }
  const done = !["pending", "running", "retrying"].includes(step.state);
  if (step.reason && step.reason !== step.state && done) notes.push(step.reason);
  if (done && step.attempts > 1) notes.push(attemptsText(step.attempts, step.causes));
  return line(step.id, step.state, notes, duration(elapsed(step, now)));
}

function line(id: string, state: string, notes: string[], took: string): string {
  const parts = [`${symbol(state)} ${id}`, state, ...notes];
  if (took !== "-") parts.push(took);
  return parts.join("  ");
}
