import { existsSync } from "node:fs";
import type { Command } from "commander";
import {
  compileWorkflow,
  diffPlans,
  errorMessage,
  InputError,
  isRunBusy,
  type RunRecord,
  type WorkflowPlan,
} from "../../index.js";
import { type CommandContext, withRoot } from "../context.js";
import { EXIT } from "../exit-codes.js";
import { hintCommand } from "../hint.js";
import { writeJson, writeNote, writeText } from "../output.js";
import { renderChanges } from "../render/changes.js";
import { runJson } from "../render/report.js";
import { type CliRoot, NoDatabaseError } from "../root.js";
import { FINISHED, requireRun } from "./lookup.js";
import { type CommonOptions, collect, withCommonOptions } from "./options.js";
import { sampleRuns } from "./sampling.js";
import { finishRuns, seedFromJournal, watchRuns } from "./watch.js";
import { loadWorkflow, readInputs } from "./workflow-file.js";

interface ResumeOptions extends CommonOptions {
  all?: boolean;
  input: string[];
  acceptChanges?: boolean;
}

export function registerResume(program: Command, ctx: CommandContext): void {
  const cmd = program
    .command("resume")
    .description("resume an interrupted, failed, blocked or waiting run from its last checkpoints")
    .argument("[run-id]", "the run to resume (an id, its short id, or a unique start of it)")
    .option("--all", "resume every run whose process died")
    .option(
      "-i, --input <key=value>",
      "a secret input of the run, given again (they are not stored)",
      collect,
      [],
    )
    .option(
      "--accept-changes",
      "continue under the workflow file as it is now when it changed since the run started, where that is safe",
    );
  withCommonOptions(cmd).action(async (runId: string | undefined, opts: ResumeOptions) => {
    if (Boolean(runId) === Boolean(opts.all)) {
      throw new InputError("invalid_input", "resume: give either a RUN_ID or --all");
    }
    if (opts.all && opts.input.length) {
      throw new InputError("invalid_input", "resume: --input goes with one RUN_ID, not with --all");
    }
    if (opts.all && opts.acceptChanges) {
      throw new InputError(
        "invalid_input",
        "resume: --accept-changes needs a RUN_ID (review each run's changes)",
      );
    }
    const secretInputs = readInputs(opts.input, undefined, ctx.io.cwd);
    const config = ctx.config(opts);
    try {
      ctx.exitCode = await withRoot(ctx, config, { mustExist: true }, (root) =>
        runId ? resumeOne(ctx, root, runId, secretInputs, opts.acceptChanges ?? false) : resumeAll(ctx, root),
      );
    } catch (e) {
      // `resume --all` at a service's first start: no journal yet is nothing to resume.
      if (runId || !(e instanceof NoDatabaseError)) throw e;
      writeNote(ctx.io, `nothing to resume (${e.message})`);
      if (config.values.json) writeJson(ctx.io, []);
      ctx.exitCode = EXIT.ok;
    }
  });
}

async function resumeOne(
  ctx: CommandContext,
  root: CliRoot,
  id: string,
  secretInputs: Record<string, unknown>,
  acceptChanges: boolean,
): Promise<number> {
  const run = await requireRun(root.journal, id);
  if (FINISHED.includes(run.status)) return nothingToResume(ctx, root, run);
  // A definition file that no longer parses is an error here: the person can fix it and retry.
  const plan = currentPlan(ctx, root, run, (e) => {
    throw e;
  });
  showChanges(ctx, root, run, plan, acceptChanges);
  const watch = watchRuns(root, ctx.io);
  const sampling = sampleRuns(root);
  try {
    const handle = await root.engine
      .resume(run.id, { ...(plan ? { plan, acceptChanges } : {}), secretInputs })
      .catch(async (e: unknown) => {
        // Another process finished it between our look and our take-over: nothing to resume after all.
        const now = await root.journal.getRun(run.id);
        if (!isRunBusy(e) && now && FINISHED.includes(now.status)) return now;
        throw e;
      });
    if (!("done" in handle)) return await nothingToResume(ctx, root, handle);
    watch.seed(handle.runId, await seedFromJournal(root, handle.runId));
    return await finishRuns(root, ctx.io, watch, [handle]);
  } finally {
    sampling.stop();
    watch.dispose();
  }
}

async function nothingToResume(ctx: CommandContext, root: CliRoot, run: RunRecord): Promise<number> {
  writeNote(ctx.io, `run ${run.id} already ${run.status}; nothing to resume`);
  if (root.config.values.json) writeJson(ctx.io, runJson(await root.engine.report(run.id)));
  return EXIT.ok;
}

async function resumeAll(ctx: CommandContext, root: CliRoot): Promise<number> {
  const watch = watchRuns(root, ctx.io, { multi: true });
  const sampling = sampleRuns(root);
  try {
    // Unattended: a file that no longer parses is reported, and the recorded definition is used.
    const handles = await root.engine.resumeAll({
      plan: async (run) =>
        currentPlan(ctx, root, run, (e) => root.logger.warn(errorMessage(e), { run: run.id })),
    });
    if (handles.length === 0) {
      writeNote(ctx.io, "nothing to resume");
      if (root.config.values.json) writeJson(ctx.io, []);
      return EXIT.ok;
    }
    for (const h of handles) watch.seed(h.runId, await seedFromJournal(root, h.runId));
    return await finishRuns(root, ctx.io, watch, handles, { many: true });
  } finally {
    sampling.stop();
    watch.dispose();
  }
}

/**
 * When the workflow file changed since the run started: what changed, by stage (before the
 * engine accepts the change, or blocks the run until it is restored or accepted).
 */
function showChanges(
  ctx: CommandContext,
  root: CliRoot,
  run: RunRecord,
  plan: WorkflowPlan | undefined,
  accepting: boolean,
): void {
  if (!plan || plan.hash === run.definitionHash) {
    if (accepting) writeNote(ctx.io, `the workflow of run ${run.id} did not change; nothing to accept`);
    return;
  }
  if (root.config.values.json) return;
  let recorded: WorkflowPlan;
  try {
    recorded = compileWorkflow(run.definition, { kinds: root.engine.kinds });
  } catch {
    return; // the engine blocks a run whose recorded definition is unusable, and says why
  }
  const what = `the workflow ${run.source ?? run.workflow} changed since run ${run.id} started`;
  writeText(ctx.io, renderChanges(diffPlans(recorded, plan), what));
  if (!accepting) {
    const command = hintCommand(ctx.io, root.config, `resume ${run.id} --accept-changes`);
    writeNote(ctx.io, `to continue under it where that is safe: ${command}`);
  }
}

/** The run's definition as its file says now, so the engine can detect a changed definition. */
function currentPlan(
  ctx: CommandContext,
  root: CliRoot,
  run: RunRecord,
  onError: (e: unknown) => void,
): WorkflowPlan | undefined {
  if (!run.source) return undefined;
  if (!existsSync(run.source)) {
    root.logger.warn(`${run.source} no longer exists; resuming run ${run.id} with its recorded definition`);
    return undefined;
  }
  try {
    return loadWorkflow(run.source, ctx.io.cwd, root.engine.kinds);
  } catch (e) {
    onError(e);
    return undefined;
  }
}
