import type { Command } from "commander";
import { InvalidArgumentError } from "commander";
import { DEFAULT_HISTORY_RUNS, journaledPerformance, loadProfile } from "../../observe/index.js";
import { type CommandContext, withRoot } from "../context.js";
import { EXIT } from "../exit-codes.js";
import { runMasker } from "../mask.js";
import { writeJson, writeText } from "../output.js";
import { type PerformanceOutput, renderPerformance } from "../render/performance.js";
import { requireRun } from "./lookup.js";
import { type CommonOptions, withCommonOptions } from "./options.js";

interface ReportOptions extends CommonOptions {
  history: number;
  profileRuns: number;
}

export function registerReport(program: Command, ctx: CommandContext): void {
  const cmd = program
    .command("report")
    .description("a run's performance report and grade, with recommendations and its workflow's profile")
    .argument("<run-id>", "a run id, its short id, or a unique start of it")
    .option(
      "--history <n>",
      "learn baselines from this many successful runs before it",
      positiveInt,
      DEFAULT_HISTORY_RUNS,
    )
    .option("--profile-runs <n>", "profile this many newest runs of its workflow", positiveInt, 200);
  withCommonOptions(cmd).action(async (runId: string, opts: ReportOptions) => {
    const config = ctx.config(opts);
    ctx.exitCode = await withRoot(ctx, config, { readOnly: true }, async (root) => {
      const run = await requireRun(root.journal, runId);
      const report = await root.engine.report(run.id);
      const output: PerformanceOutput = {
        performance: await journaledPerformance(root.journal, report, { n: opts.history, now: Date.now() }),
        profile: await loadProfile(root.journal, { workflow: run.workflow, limit: opts.profileRuns }),
      };
      const masker = runMasker([run], ctx.io.env);
      if (config.values.json) writeJson(ctx.io, output, masker);
      else writeText(ctx.io, renderPerformance(output), masker);
      return EXIT.ok;
    });
  });
}

function positiveInt(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1) {
    throw new InvalidArgumentError(`expected a positive integer, got '${value}'`);
  }
  return Number(value);
}
