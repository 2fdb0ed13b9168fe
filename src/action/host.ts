/**
 * The Action's host: runs one stageflow workflow inside a GitHub Actions job. Its journal is
 * snapshotted and uploaded as an artifact after every stage; on "Re-run failed jobs"
 * (`GITHUB_RUN_ATTEMPT` > 1) the latest snapshot of an earlier attempt is downloaded, verified,
 * and the run resumes where it stopped. Results go to the job summary, annotations, outputs and
 * (optionally) one PR comment. It never wraps the Probot app.
 */
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { markerFor, upsertComment } from "../github/comments.js";
import { checkRunOutput, commentBody, createRenderer, runView, type RunView } from "../github/render/index.js";
import {
  builtinSteps,
  createEngine,
  type Engine,
  errorMessage,
  type EngineEvent,
  InputError,
  isWorkflowError,
  LIMITS,
  parseWorkflow,
  type RunHandle,
  type RunRecord,
  type RunResult,
  resolveInputs,

  secretValues,
  systemClock,
  type WorkflowPlan,
} from "../index.js";
import { maskText, secretInputNames } from "../engine/secrets/index.js";
import { learnHistory } from "../observe/baselines.js";
import { type ActionInputs, ActionInputError, type Env, readInputs, type RunnerContext, runnerContext } from "./inputs.js";
import type { ActionDeps, ActionJournal, CheckpointStore } from "./ports.js";

/** How the step ended, for the runner. */
export interface ActionResult {
  /** The run's final state, or `invalid` when nothing ran (bad input), `cancelled` on a stop. */
  status: string;
  runId: string | null;
  failed: boolean;
}

/** Variables a `run` step never sees: the runner gives them to actions, not to scripts. */
const PRIVATE_ENV = /^(INPUT_|ACTIONS_RUNTIME_|ACTIONS_RESULTS_URL$|ACTIONS_ID_TOKEN_REQUEST_|ACTIONS_CACHE_URL$)/;

/** A stop of the job by the runner (SIGINT/SIGTERM). */
class Stopped extends Error {}

export async function runAction(deps: ActionDeps): Promise<ActionResult> {
  const { out, env } = deps;
  const ctx = runnerContext(env, deps.cwd);
  let inputs: ActionInputs;
  try {
    inputs = readInputs(env, ctx);
  } catch (e) {
    return invalid(deps, errorMessage(e));
  }
  if (inputs.token) out.setSecret(inputs.token);
  if (env.ACTIONS_RUNTIME_TOKEN) out.setSecret(env.ACTIONS_RUNTIME_TOKEN);

  const stepEnv = Object.fromEntries(Object.entries(env).filter(([name]) => !PRIVATE_ENV.test(name)));
  const kinds = new Map(Object.entries(builtinSteps({ run: { cwd: ctx.workspace, env: stepEnv } })));
  let plan: WorkflowPlan;
  try {
    plan = loadPlan(inputs, ctx, kinds, deps);
  } catch (e) {
    return invalid(deps, e instanceof Invalid ? e.message : errorMessage(e));
  }
  const given = inputs.inputs;
  // Masked before anything can print them, an input error included.
  for (const secret of secretValues(plan.definition, given, env)) out.setSecret(secret);
  try {
    resolveInputs(plan, given);
  } catch (e) {
    return invalid(deps, e instanceof InputError ? `input 'inputs': ${e.message}` : errorMessage(e));
  }

  const key = runKey(ctx, inputs, plan, given);
  const store = inputs.checkpoint === "artifact" ? deps.checkpoints?.(artifactKey(ctx, inputs, plan), inputs.retentionDays) : undefined;
  if (store && ctx.runAttempt > 1) await restoreUnlessHeld(deps, store, ctx, inputs, key);

  let journal: ActionJournal;
  try {
    journal = deps.openJournal(inputs.state, inputs.durability);
  } catch (e) {
    return invalid(deps, `input 'state': cannot open the journal at ${inputs.state}: ${errorMessage(e)}`);
  }
  const owner = `action:${ctx.runId}:${ctx.runAttempt}:${ctx.job}:${process.pid}`;
  const engine = createEngine({
    journal,
    clock: deps.clock ?? systemClock,
    owner,
    // Every earlier attempt ran on another machine that is gone: only this process is alive.
    isOwnerAlive: (other) => other === owner,
    env: stepEnv,
    workDir: join(dirname(inputs.state), "work"),
    parkAfterMs: Number.POSITIVE_INFINITY,
  });
  for (const [kind, handler] of kinds) engine.register(kind, handler);

  const checkpoints = new Checkpointer(journal, store, inputs.state, out);
  const x: Execution = { deps, ctx, inputs, plan, given, key, engine, journal, checkpoints, runId: null };
  try {
    return await execute(x);
  } catch (e) {
    // Whatever went wrong, the step fails saying why and sets `status`, which a later step may read.
    out.setOutput("status", "failed");
    out.setFailed(`stageflow${x.runId ? ` run ${x.runId}` : ""}: ${errorMessage(e)}`);
    return { status: "failed", runId: x.runId, failed: true };
  } finally {
    await engine.close().catch(() => {});
    await journal.close().catch(() => {});
  }
}

interface Execution {
  deps: ActionDeps;
  ctx: RunnerContext;
  inputs: ActionInputs;
  plan: WorkflowPlan;
  given: Record<string, unknown>;
  key: string;
  engine: Engine;
  journal: ActionJournal;
  checkpoints: Checkpointer;
  /** Set by `execute` once the run is started or found, for a failure after that. */
  runId: string | null;
}

async function execute(x: Execution): Promise<ActionResult> {
  const { deps, ctx, inputs, engine, checkpoints } = x;
  const { out } = deps;
  // Subscribed before the start or resume, so their first events (or a block recorded at resume)
  // are shown too. Only this job's run executes in this journal: no filter by run is needed.
  const progress = showProgress(engine, out, checkpoints);
  const { handle, executing } = await startOrResume(x);
  const runId = handle.runId;
  x.runId = runId;
  out.setOutput("run-id", runId);

  const stopped = new Promise<never>((_, reject) => {
    const onStop = () => reject(new Stopped());
    if (deps.stop?.aborted) onStop();
    deps.stop?.addEventListener("abort", onStop, { once: true });
  });
  stopped.catch(() => {});
  let result: RunResult;
  try {
    result = await Promise.race([handle.done, stopped]);
  } catch (e) {
    if (!(e instanceof Stopped)) throw e;
    // The runner cancels: stop the run where it is (resumable), keep a last checkpoint, and go.
    await engine.close({ mode: "interrupt" });
    progress.close();
    await checkpoints.now("cancellation");
    out.setOutput("status", "cancelled");
    out.setFailed(`stageflow run ${runId}: stopped because the job was cancelled; its last checkpoint was kept, so re-running the job continues it`);
    return { status: "cancelled", runId, failed: true };
  }
  if (executing) await progress.settled();
  progress.close();
  await checkpoints.now("end of the run");

  const report = await engine.report(runId);
  const runUrl = ctx.repository ? `${ctx.serverUrl}/${ctx.repository}/actions/runs/${ctx.runId}` : undefined;
  // Learned baselines: from earlier runs of this workflow in the same journal (a `state` kept
  // between jobs, e.g. with actions/cache); none in a fresh one.
  const history = await learnHistory(x.journal, report.run.workflow, {
    before: report.run.createdAt,
    exclude: report.run.id,
  }).catch(() => undefined);
  const view = runView(report, {
    now: (deps.clock ?? systemClock).now(),
    plan: x.plan,
    ...(runUrl ? { runUrl } : {}),
    ...(history ? { history } : {}),
  });
  const renderer = createRenderer(deps.templatesDir ? { dir: deps.templatesDir } : {});
  const summary = (await checkRunOutput(view, renderer)).summary;
  await out.writeSummary(summary).catch((e: unknown) => out.warning(`job summary not written: ${errorMessage(e)}`));
  annotate(view, inputs, ctx, out);
  out.setOutput("status", view.status);
  out.setOutput("grade", view.grade?.letter ?? "");
  out.setOutput("summary", summary);
  if (inputs.comment) await comment(deps, ctx, inputs, x.plan, view, renderer);

  const failed = isFailure(view.status, inputs.failOn);
  if (result.status === "blocked" && result.reason === "definition_changed") {
    out.setFailed(
      `${inputs.workflow} changed since attempt ${ctx.runAttempt - 1} of this job, so run ${runId} cannot continue under it: ` +
        "re-run with the earlier file, or set `resume: restart` to start the workflow again",
    );
  } else if (failed) {
    out.setFailed(`stageflow run ${runId} ${view.status}${view.reason ? ` (${view.reason})` : ""}${view.error ? `: ${view.error}` : ""}`);
  }
  return { status: view.status, runId, failed };
}

function isFailure(status: string, failOn: "failure" | "degraded"): boolean {
  if (status === "succeeded") return false;
  if (status === "degraded") return failOn === "degraded";
  return true;
}

/**
 * Starts the run, or, when the journal (restored from an earlier attempt) has it, resumes it.
 * `executing`: whether this process runs it (not when it had finished already).
 */
async function startOrResume(x: Execution): Promise<{ handle: RunHandle; executing: boolean }> {
  const { engine, plan, given, key, ctx, inputs, deps } = x;
  const trigger = { kind: "action" as const, detail: `${ctx.workflow ?? "workflow"} / ${ctx.job}`, ...(ctx.actor ? { actor: ctx.actor } : {}) };
  const metadata = {
    repository: ctx.repository ?? undefined,
    workflowRun: ctx.runId,
    attempt: ctx.runAttempt,
    job: ctx.job,
    sha: ctx.sha ?? undefined,
  };
  const handle = await engine.start(plan, { inputs: given, key, trigger, metadata });
  if (!handle.existing) return { handle, executing: true };
  const [run] = await engine.listRuns({ key });
  if (!run) return { handle, executing: false };
  if (inputs.resume === "restart" || run.status === "cancelled") {
    deps.out.info(`Starting ${inputs.workflow} again (resume: ${inputs.resume}); run ${run.id} of attempt ${ctx.runAttempt - 1} stays in the journal.`);
    const again = await engine.start(plan, { inputs: given, key: `${key}#attempt-${ctx.runAttempt}`, trigger, metadata });
    return { handle: again, executing: !again.existing };
  }
  if (run.status === "succeeded" || run.status === "degraded") {
    deps.out.info(`Run ${run.id} already ${run.status} in an earlier attempt: nothing to run again.`);
    return { handle, executing: false };
  }
  const secretInputs = Object.fromEntries(secretInputNames(plan.definition).filter((n: string) => n in given).map((n: string) => [n, given[n]]));
  deps.out.info(`Resuming run ${run.id} from attempt ${ctx.runAttempt - 1}: finished steps are not run again.`);
  return { handle: await engine.resume(run.id, { plan, secretInputs }), executing: true };
}

/**
 * The run's idempotency key: `action:` and 32 hex digits of a SHA-256 of this job (repository,
 * workflow run id, job id), the workflow file, the inputs that name the run (namingInputs) and
 * the `key` input. Hashed, so it is short whatever the lengths of the path and the key.
 */
function runKey(ctx: RunnerContext, inputs: ActionInputs, plan: WorkflowPlan, given: Record<string, unknown>): string {
  const naming = namingInputs(given, secretInputNames(plan.definition));
  const parts = [ctx.repository ?? "local", ctx.runId, ctx.job, inputs.workflow, naming, inputs.key];
  return `action:${createHash("sha256").update(JSON.stringify(parts)).digest("hex").slice(0, 32)}`;
}

/**
 * The inputs that name a run, its checkpoints and its PR comment, as text: the given inputs
 * without the `secret: true` ones (a token that changes per attempt must not change the name, nor
 * be hashed into it), sorted by name.
 */
function namingInputs(given: Record<string, unknown>, secretNames: readonly string[]): string {
  const secret = new Set(secretNames);
  const named = Object.entries(given).filter(([name]) => !secret.has(name));
  return JSON.stringify(named.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** Names this run's checkpoints among the workflow run's artifacts (they are per workflow run already). */
function artifactKey(ctx: RunnerContext, inputs: ActionInputs, plan: WorkflowPlan): string {
  return checkpointKey(ctx.job, inputs.workflow, inputs.inputs, inputs.key, secretInputNames(plan.definition));
}

/**
 * The key of a job's checkpoints (10 hex digits): its job id, workflow file, the inputs that name
 * the run (namingInputs: without those named in `secretNames`) and `key` input.
 */
export function checkpointKey(job: string, workflow: string, inputs: Record<string, unknown>, key = "", secretNames: readonly string[] = []): string {
  const leg = key ? `\n${key}` : "";
  return createHash("sha256").update(`${job}\n${workflow}\n${namingInputs(inputs, secretNames)}${leg}`).digest("hex").slice(0, 10);
}

class Invalid extends Error {}

function loadPlan(
  inputs: ActionInputs,
  ctx: RunnerContext,
  kinds: ReadonlyMap<string, import("../index.js").StepHandler>,
  deps: ActionDeps,
): WorkflowPlan {
  let text: string;
  try {
    text = readFileSync(inputs.workflowPath, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "a directory, not a file" : errorMessage(e);
    throw new Invalid(`input 'workflow': cannot read ${inputs.workflow} (${why}; paths are relative to the workspace ${ctx.workspace})`);
  }
  if (Buffer.byteLength(text) > LIMITS.fileBytes) {
    throw new Invalid(`input 'workflow': ${inputs.workflow} is larger than ${LIMITS.fileBytes} bytes`);
  }
  const shown = annotationPath(inputs, ctx);
  try {
    return { ...parseWorkflow(text, { file: shown, kinds }), source: inputs.workflowPath };
  } catch (e) {
    if (!isWorkflowError(e)) throw e;
    for (const p of e.problems) {
      deps.out.error(`${p.path}: ${p.message}${p.hint ? ` (${p.hint})` : ""}`, {
        title: "stageflow: invalid workflow",
        file: shown,
        ...(p.line !== undefined ? { startLine: p.line } : {}),
        ...(p.column !== undefined ? { startColumn: p.column } : {}),
      });
    }
    throw new Invalid(`${shown} is not a valid stageflow workflow:\n${e.message}`);
  }
}

/** The workflow file relative to the workspace, as annotations name files. */
function annotationPath(inputs: ActionInputs, ctx: RunnerContext): string {
  const rel = relative(ctx.workspace, inputs.workflowPath);
  return rel.startsWith("..") ? inputs.workflowPath : rel;
}

function invalid(deps: ActionDeps, message: string): ActionResult {
  deps.out.setOutput("status", "invalid");
  deps.out.setFailed(message);
  return { status: "invalid", runId: null, failed: true };
}

/** The runs of this job (by its run key) in the journal at `path`. */
async function runsOfJob(deps: ActionDeps, path: string, inputs: ActionInputs, key: string): Promise<RunRecord[]> {
  const probe = deps.openJournal(path, inputs.durability);
  try {
    return await probe.listRuns({ key });
  } finally {
    await probe.close();
  }
}

/**
 * On a re-run: restores the latest checkpoint of an earlier attempt, unless the journal at
 * `state` already holds this job's run. A journal kept between jobs (e.g. with actions/cache)
 * that holds only other runs does not hide the checkpoint: it is replaced, and the log says so.
 */
async function restoreUnlessHeld(deps: ActionDeps, store: CheckpointStore, ctx: RunnerContext, inputs: ActionInputs, key: string): Promise<void> {
  if (!existsSync(inputs.state)) return restore(deps, store, ctx, inputs, key, false);
  let held: RunRecord[];
  try {
    held = await runsOfJob(deps, inputs.state, inputs, key);
  } catch (e) {
    deps.out.warning(`The journal at ${inputs.state} could not be read (${errorMessage(e)}), so no checkpoint of an earlier attempt was restored over it.`);
    return;
  }
  const [run] = held;
  if (!run) return restore(deps, store, ctx, inputs, key, true);
  deps.out.info(`The journal at ${inputs.state} already holds run ${run.id} of this job (${run.status}): no checkpoint restored.`);
}

/**
 * Downloads, verifies and installs the latest checkpoint of an earlier attempt (over the journal
 * at `state` when `replacing`); a bad one is a warning and leaves `state` as it was.
 */
async function restore(deps: ActionDeps, store: CheckpointStore, ctx: RunnerContext, inputs: ActionInputs, key: string, replacing: boolean): Promise<void> {
  const { out } = deps;
  const dir = join(ctx.temp, "stageflow", `restore-${ctx.runAttempt}`);
  const incoming = `${inputs.state}.restoring`;
  try {
    mkdirSync(dir, { recursive: true });
    const found = await store.restoreLatest(ctx.runAttempt, dir);
    if (!found) {
      out.info(`No checkpoint of an earlier attempt: ${inputs.workflow} starts from its first step.`);
      return;
    }
    await deps.verifySnapshot(found.path);
    const runs = await runsOfJob(deps, found.path, inputs, key);
    if (runs.length === 0) throw new Error(`it holds no run of this job (key ${key}): a snapshot of something else`);
    mkdirSync(dirname(inputs.state), { recursive: true });
    copyFileSync(found.path, incoming);
    // The replaced journal's write-ahead log and shared memory belong to it, not to the snapshot.
    for (const suffix of ["-wal", "-shm", "-journal"]) rmSync(`${inputs.state}${suffix}`, { force: true });
    renameSync(incoming, inputs.state);
    const over = replacing ? ` over the journal at ${inputs.state}, which held no run of this job` : "";
    out.info(`Restored checkpoint ${found.name} (run ${runs[0]!.id}, ${runs[0]!.status})${over}.`);
  } catch (e) {
    out.warning(`The checkpoint of an earlier attempt was not used: ${errorMessage(e)}. ${inputs.workflow} starts from its first step.`);
  } finally {
    rmSync(incoming, { force: true });
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Snapshots the journal and uploads it; one at a time, the latest request wins; failures are warnings. */
class Checkpointer {
  private seq = 0;
  private chain: Promise<void> = Promise.resolve();
  private pending = false;

  constructor(
    private readonly journal: ActionJournal,
    private readonly store: CheckpointStore | undefined,
    private readonly state: string,
    private readonly out: ActionDeps["out"],
  ) {}

  /** Queues a checkpoint (coalesced with one already waiting). */
  request(why: string): void {
    if (!this.store || this.pending) return;
    this.pending = true;
    this.chain = this.chain.then(() => this.take(why));
  }

  /** Takes a checkpoint now (after any queued) and waits for it. */
  async now(why: string): Promise<void> {
    if (!this.store) return;
    this.request(why);
    await this.chain;
  }

  private async take(why: string): Promise<void> {
    this.pending = false;
    const seq = ++this.seq;
    const file = `${this.state}.checkpoint-${seq}`;
    try {
      await this.journal.snapshot(file);
      const saved = await this.store!.save(file, seq);
      this.out.info(`Checkpoint ${saved.name} uploaded (${why}): ${saved.bytes} bytes in ${saved.ms} ms.`);
    } catch (e) {
      this.out.warning(`Checkpoint not uploaded (${why}): ${errorMessage(e)}. The run goes on; a re-run of this job would start from an earlier checkpoint.`);
    } finally {
      rmSync(file, { force: true });
    }
  }
}

/** Live progress: one collapsible group per stage, a line per step, a checkpoint after each stage. */
function showProgress(engine: Engine, out: ActionDeps["out"], checkpoints: Checkpointer) {
  let open = false;
  let settle: (() => void) | undefined;
  const ended = new Promise<void>((resolve) => (settle = resolve));
  const close = () => {
    if (open) out.endGroup();
    open = false;
  };
  const subscription = engine.on(
    (event: EngineEvent) => {
      const d = event.payload as Record<string, unknown>;
      switch (event.type) {
        case "stage.started":
          close();
          out.startGroup(`stage ${String(d.stageId)}`);
          open = true;
          break;
        case "step.started":
          out.info(`▶ ${String(d.stepId)} (attempt ${String(d.attempt)})`);
          break;
        case "step.retrying":
          out.info(`↻ ${String(d.stepId)} retrying: ${firstLine(d.error)}`);
          break;
        case "step.succeeded":
          out.info(`✔ ${String(d.stepId)}`);
          break;
        case "step.failed":
          out.info(`✖ ${String(d.stepId)}: ${firstLine(d.error)}`);
          break;
        case "step.skipped":
          out.info(`⏭ ${String(d.stepId)} skipped (${String(d.reason)})`);
          break;
        case "recovery.decided":
          out.info(`⚕ recovery for ${String(d.stepId)}: ${String(d.strategy ?? "")}`);
          break;
        case "stage.succeeded":
        case "stage.failed":
          close();
          checkpoints.request(`stage ${String(d.stageId)} ${event.type === "stage.succeeded" ? "succeeded" : "failed"}`);
          break;
        default:
          if (/^run\.(succeeded|failed|cancelled|degraded|escalated|blocked|parked)$/.test(event.type)) {
            close();
            settle?.();
          }
      }
    },
  );
  return {
    /** Waits (briefly) until the run's last event was shown. */
    settled: async () => {
      // A timer that holds the process: the run's last event may never come (a block recorded
      // at resume), and an unref'd wait would let the process end with the work unfinished.
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([ended, new Promise<void>((r) => (timer = setTimeout(r, 2_000)))]);
      clearTimeout(timer);
    },
    close: () => {
      close();
      subscription();
    },
  };
}

/**
 * The first line of a step's error, for `core.info` (which writes text as it is): the runner ends
 * a line at `\r` as well as `\n`, so the cut is at either, or a step's error could start a line of
 * its own, a workflow command (`boom\r::warning::forged`).
 */
function firstLine(error: unknown): string {
  const message = (error as { message?: unknown } | null)?.message ?? error;
  // Token-shaped text masked before the cut (the engine masked the run's secret values already).
  return maskText(String(message ?? "")).split(/\r\n|\r|\n/)[0]!.slice(0, 300);
}

function annotate(view: RunView, inputs: ActionInputs, ctx: RunnerContext, out: ActionDeps["out"]): void {
  const file = annotationPath(inputs, ctx);
  for (const step of view.failedSteps) {
    out.error(`${step.stageId} / ${step.stepId} ${step.status}${step.error ? `: ${step.error}` : ""}`, {
      title: `stageflow: ${step.stepId} ${step.status}`,
      file,
      ...(step.line !== null ? { startLine: step.line } : {}),
    });
  }
  for (const warning of view.warnings) out.warning(warning.message, { title: `stageflow: stage ${warning.stageId}`, file });
}

/** Upserts one comment on the pull request the job runs for (by a marker of this job and file). */
async function comment(
  deps: ActionDeps,
  ctx: RunnerContext,
  inputs: ActionInputs,
  plan: WorkflowPlan,
  view: RunView,
  renderer: ReturnType<typeof createRenderer>,
): Promise<void> {
  const { out } = deps;
  const number = pullRequestNumber(ctx);
  if (number === null) {
    out.info("comment: true, but this job does not run for a pull request: no comment written.");
    return;
  }
  if (!inputs.token || !deps.github || !ctx.repository) {
    out.warning("comment: true needs `github-token` (the default `${{ github.token }}` with `pull-requests: write`): no comment written.");
    return;
  }
  const [owner, repo] = ctx.repository.split("/") as [string, string];
  try {
    const body = await commentBody(view, renderer);
    const marker = markerFor(`action:${artifactKey(ctx, inputs, plan)}`);
    await upsertComment(deps.github(inputs.token, ctx.apiUrl), {
      owner,
      repo,
      issueNumber: number,
      marker,
      body,
      runId: view.runId,
      // The token's user writes it: github-actions[bot] for GITHUB_TOKEN, an app's bot otherwise.
      isOwn: (c) => c.user?.type === "Bot",
    });
    out.info(`Comment on #${number} updated.`);
  } catch (e) {
    out.warning(`The pull request comment was not written: ${errorMessage(e)}`);
  }
}

function pullRequestNumber(ctx: RunnerContext): number | null {
  if (!ctx.eventPath) return null;
  try {
    const event = JSON.parse(readFileSync(ctx.eventPath, "utf8")) as {
      pull_request?: { number?: number };
      issue?: { number?: number; pull_request?: unknown };
    };
    if (typeof event.pull_request?.number === "number") return event.pull_request.number;
    if (event.issue?.pull_request && typeof event.issue.number === "number") return event.issue.number;
  } catch {
    return null;
  }
  return null;
}

export type { Env };
export { ActionInputError };
