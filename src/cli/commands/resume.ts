import { existsSync } from "node:fs";
import type { Command } from "commander";
import type { WorkflowPlan } from "../../engine/definition/plan.js";
import { errorMessage, InputError } from "../../engine/errors.js";
import type { RunRecord } from "../../engine/journal.js";
import { type CommandContext, withRoot } from "../context.js";
import { EXIT } from "../exit-codes.js";
import { writeJson, writeNote } from "../output.js";
import { runJson } from "../render/report.js";
import type { CliRoot } from "../root.js";
import { FINISHED, requireRun } from "./lookup.js";
import { type CommonOptions, withCommonOptions } from "./options.js";
import { finishRuns, seedFromJournal, watchRuns } from "./watch.js";
import { loadWorkflow } from "./workflow-file.js";

interface ResumeOptions extends CommonOptions {
  all?: boolean;
}

export function registerResume(program: Command, ctx: CommandContext): void {
  const cmd = program
    .command("resume")
    .description("resume an interrupted, failed, blocked or waiting run from its last checkpoints")
    .argument("[run-id]", "the run to resume (an id, its short id, or a unique start of it)")
    .option("--all", "resume every run whose process died");
  withCommonOptions(cmd).action(async (runId: string | undefined, opts: ResumeOptions) => {
    if (Boolean(runId) === Boolean(opts.all)) {
      throw new InputError("invalid_input", "resume: give either a RUN_ID or --all");
    }
    const config = ctx.config(opts);
    ctx.exitCode = await withRoot(ctx, config, { mustExist: true }, (root) =>
      runId ? resumeOne(ctx, root, runId) : resumeAll(ctx, root),
    );
  });
}

async function resumeOne(ctx: CommandContext, root: CliRoot, id: string): Promise<number> {
  const run = await requireRun(root.journal, id);
  if (FINISHED.includes(run.status)) {
    writeNote(ctx.io, `run ${run.id} already ${run.status}; nothing to resume`);
    if (root.config.values.json) writeJson(ctx.io, runJson(await root.engine.report(run.id)));
    return EXIT.ok;
  }
  // A definition file that no longer parses is an error here: the person can fix it and retry.
  const plan = currentPlan(ctx, root, run, (e) => {
    throw e;
  });
  const watch = watchRuns(root, ctx.io);
  try {
    const handle = await root.engine.resume(run.id, plan ? { plan } : {});
    watch.seed(handle.runId, await seedFromJournal(root, handle.runId));
    return await finishRuns(root, ctx.io, watch, [handle]);
  } finally {
    watch.dispose();
  }
}

async function resumeAll(ctx: CommandContext, root: CliRoot): Promise<number> {
  const watch = watchRuns(root, ctx.io, { multi: true });
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
    watch.dispose();
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
