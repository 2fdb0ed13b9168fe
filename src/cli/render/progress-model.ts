import type { EngineEvent } from "../../engine/events.js";
import { duration, shortId, symbol } from "./format.js";

interface Item {
  id: string;
  status: string;
  attempt: number;
  startedAt?: number;
  durationMs?: number;
  note?: string;
}

interface StageState extends Item {
  steps: Map<string, Item>;
}

interface RunState {
  runId: string;
  workflow: string;
  status: string;
  startedAt?: number;
  stages: Map<string, StageState>;
}

/** What progress is seeded with: the plan's stages (all pending) or a resumed run's report. */
export interface ProgressSeed {
  workflow: string;
  stages: ReadonlyArray<{
    id: string;
    status?: string;
    steps: ReadonlyArray<{ id: string; status?: string; attempts?: number }>;
  }>;
}

/** Live state of the runs this process drives, updated from engine events. */
export class ProgressModel {
  readonly runs = new Map<string, RunState>();

  /** Orders stages and steps as the plan does; states already seen in events are kept. */
  seed(runId: string, seed: ProgressSeed): void {
    const run = this.run(runId);
    run.workflow = seed.workflow;
    const stages = new Map<string, StageState>();
    for (const s of seed.stages) {
      const stage = run.stages.get(s.id) ?? { ...item(s.id, s.status), steps: new Map() };
      const steps = new Map<string, Item>();
      for (const st of s.steps) {
        steps.set(st.id, stage.steps.get(st.id) ?? { ...item(st.id, st.status), attempt: st.attempts ?? 0 });
      }
      for (const [id, step] of stage.steps) if (!steps.has(id)) steps.set(id, step);
      stages.set(s.id, { ...stage, steps });
    }
    for (const [id, stage] of run.stages) if (!stages.has(id)) stages.set(id, stage);
    run.stages = stages;
  }

  apply(e: EngineEvent): void {
    const run = this.run(e.runId);
    const [kind, what] = e.type.split(".") as [string, string];
    if (kind === "run") {
      run.status = RUN_STATUS[what] ?? run.status;
      run.startedAt ??= e.at;
    } else if (kind === "stage" && what !== "warning") {
      const p = e.payload as { stageId: string };
      finish(this.stage(run, p.stageId), what, e.at);
    } else if (kind === "step") {
      const p = e.payload as { stageId: string; stepId: string; attempt?: number; delayMs?: number };
      const stage = this.stage(run, p.stageId);
      const step = stage.steps.get(p.stepId) ?? item(p.stepId);
      stage.steps.set(p.stepId, step);
      if (p.attempt !== undefined) step.attempt = p.attempt;
      if (what === "retrying") step.note = `retry in ${duration(p.delayMs ?? 0)}`;
      else delete step.note;
      finish(step, what, e.at);
    }
  }

  private run(runId: string): RunState {
    let run = this.runs.get(runId);
    if (!run) {
      run = { runId, workflow: "", status: "running", stages: new Map() };
      this.runs.set(runId, run);
    }
    return run;
  }

  private stage(run: RunState, stageId: string): StageState {
    let stage = run.stages.get(stageId);
    if (!stage) {
      stage = { ...item(stageId), steps: new Map() };
      run.stages.set(stageId, stage);
    }
    return stage;
  }
}

/** A run's state after a `run.*` event; other run events leave it as it was. */
const RUN_STATUS: Record<string, string> = {
  started: "running",
  resumed: "running",
  succeeded: "succeeded",
  failed: "failed",
  cancelled: "cancelled",
  blocked: "blocked",
  interrupted: "interrupted",
  escalated: "waiting",
  degraded: "degraded",
};

function item(id: string, status = "pending"): Item {
  return { id, status, attempt: 0 };
}

function finish(target: Item, what: string, at: number): void {
  const status = what === "started" ? "running" : what;
  if (status === "running") target.startedAt = at;
  else if (target.startedAt !== undefined && status !== "retrying") target.durationMs = at - target.startedAt;
  target.status = status;
}

/** The live view: one line per run, stage and step, with elapsed times as of `now`. */
export function renderProgress(model: ProgressModel, now: number): string[] {
  const lines: string[] = [];
  for (const run of model.runs.values()) {
    const elapsed = run.startedAt === undefined ? "" : `  ${duration(now - run.startedAt)}`;
    lines.push(
      `${symbol(run.status)} ${run.workflow || "run"} ${shortId(run.runId)}  ${run.status}${elapsed}`,
    );
    for (const stage of run.stages.values()) {
      lines.push(`  ${line(stage, now)}`);
      for (const step of stage.steps.values()) lines.push(`      ${line(step, now)}`);
    }
  }
  return lines;
}

function line(it: Item, now: number): string {
  const took =
    it.status === "running" && it.startedAt !== undefined
      ? duration(now - it.startedAt)
      : duration(it.durationMs);
  const parts = [`${symbol(it.status)} ${it.id}`, it.status];
  if (it.attempt > 1) parts.push(`attempt ${it.attempt}`);
  if (it.note) parts.push(it.note);
  if (took !== "-") parts.push(took);
  return parts.join("  ");
}
