import type { Command } from "commander";
import { resolveInputs, runSecrets, type WorkflowPlan } from "../../index.js";
import { type CommandContext, withRoot } from "../context.js";
import { EXIT } from "../exit-codes.js";
import { writeJson, writeText } from "../output.js";
import { planJson, renderPlan } from "../render/plan.js";
import { writeGithubPreview } from "./github-preview.js";
import { type CommonOptions, collect, withCommonOptions } from "./options.js";
import { sampleRuns } from "./sampling.js";
import { finishRuns, seedFromPlan, watchRuns } from "./watch.js";
import { loadWorkflow, readInputs } from "./workflow-file.js";

interface RunOptions extends CommonOptions {
  input: string[];
  inputFile?: string;
  dryRun?: boolean;
  githubPreview?: string;
}

export function registerRun(program: Command, ctx: CommandContext): void {
  const cmd = program
    .command("run")
    .description("run a workflow file to its end, showing progress, and print its report")
    .argument("<file>", "workflow file (YAML)")
    .option("-i, --input <key=value>", "a workflow input (repeatable)", collect, [])
    .option("--input-file <file>", "a JSON object of inputs (--input wins)")
    .option(
      "--dry-run",
      "show the plan (stages, steps, order, conditions known from inputs); run and record nothing",
    )
    .option(
      "--github-preview <dir>",
      "also write what the GitHub App would post for the run (check-run.md, comment.md) to <dir>",
    );
  withCommonOptions(cmd).action(async (file: string, opts: RunOptions) => {
    ctx.exitCode = await runWorkflow(ctx, file, opts);
  });
}

/**
 * Parses the file and the inputs (a bad file or input records nothing), starts the run, shows
 * progress, and returns the exit code of its final status.
 */
export async function runWorkflow(ctx: CommandContext, file: string, opts: RunOptions): Promise<number> {
  const config = ctx.config(opts);
  const plan = loadWorkflow(file, ctx.io.cwd, ctx.kinds());
  const inputs = readInputs(opts.input, opts.inputFile, ctx.io.cwd);
  if (opts.dryRun) return showPlan(ctx, file, plan, resolveInputs(plan, inputs), config.values.json);
  return withRoot(ctx, config, {}, async (root) => {
    const watch = watchRuns(root, ctx.io);
    const sampling = sampleRuns(root);
    try {
      const handle = await root.engine.start(plan, { inputs, trigger: { kind: "cli", detail: file } });
      watch.seed(handle.runId, seedFromPlan(plan));
      const code = await finishRuns(root, ctx.io, watch, [handle]);
      sampling.stop();
      const stopped = code === EXIT.interrupted || code === EXIT.terminated;
      if (opts.githubPreview !== undefined && !stopped) {
        await writeGithubPreview(root, ctx.io, handle.runId, plan, opts.githubPreview);
      }
      return code;
    } finally {
      sampling.stop();
      watch.dispose();
    }
  });
}

/** `--dry-run`: the plan, from the file and the inputs alone; no journal is opened. */
function showPlan(
  ctx: CommandContext,
  file: string,
  plan: WorkflowPlan,
  inputs: Record<string, unknown>,
  json: boolean,
): number {
  const shown = planJson(plan, inputs);
  // Secret inputs and `secrets:` variables are masked by value, as everywhere a run is shown.
  const masker = runSecrets(plan.definition, inputs, ctx.io.env);
  if (json) writeJson(ctx.io, shown, masker);
  else writeText(ctx.io, renderPlan(shown, file), masker);
  return EXIT.ok;
}
