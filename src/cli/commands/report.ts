import type { Command } from "commander";
import { InvalidArgumentError } from "commander";
import {
  type CapacityForecast,
  costOf,
  DEFAULT_HISTORY_RUNS,
  journaledPerformance,
  journalFileBytes,
  loadCapacity,
  loadProfile,
} from "../../observe/index.js";
import { type CommandContext, withRoot } from "../context.js";
import { EXIT } from "../exit-codes.js";
import { runMasker } from "../mask.js";
import { writeJson, writeText } from "../output.js";
import { renderCapacity } from "../render/capacity.js";
import { type PerformanceOutput, renderPerformance } from "../render/performance.js";
import type { CliRoot } from "../root.js";
import { requireRun } from "./lookup.js";
import { type CommonOptions, withCommonOptions } from "./options.js";
import { readRunResources } from "./sampling.js";

interface ReportOptions extends CommonOptions {
  history: number;
  profileRuns: number;
  capacity?: boolean;
  days: number;
  horizon: number;
}

export function registerReport(program: Command, ctx: CommandContext): void {
  const cmd = program
    .command("report")
    .description(
      "a run's performance report and grade, its cost, recommendations and its workflow's profile; " +
        "without a run (or with --capacity), the journal's capacity forecast",
    )
    .argument("[run-id]", "a run id, its short id, or a unique start of it")
    .option(
      "--history <n>",
      "learn baselines from this many successful runs before it",
      positiveInt,
      DEFAULT_HISTORY_RUNS,
    )
    .option("--profile-runs <n>", "profile this many newest runs of its workflow", positiveInt, 200)
    .option("--capacity", "add the capacity forecast (runs per day, queue depth, journal size)")
    .option("--days <n>", "capacity: the trend of this many past days", positiveInt, 30)
    .option("--horizon <n>", "capacity: forecast this many days ahead", positiveInt, 7);
  withCommonOptions(cmd).action(async (runId: string | undefined, opts: ReportOptions) => {
    const config = ctx.config(opts);
    ctx.exitCode = await withRoot(ctx, config, { readOnly: true }, async (root) => {
      const now = Date.now();
      const capacity = () =>
        loadCapacity(root.journal, {
          now,
          days: opts.days,
          horizonDays: opts.horizon,
          ...sizeOf(root),
        });
      if (runId === undefined) {
        const forecast: CapacityForecast = await capacity();
        if (config.values.json) writeJson(ctx.io, { capacity: forecast });
        else writeText(ctx.io, `${renderCapacity(forecast).join("\n")}\n`);
        return EXIT.ok;
      }
      const run = await requireRun(root.journal, runId);
      const report = await root.engine.report(run.id);
      const output: PerformanceOutput = {
        performance: await journaledPerformance(root.journal, report, { n: opts.history, now }),
        profile: await loadProfile(root.journal, { workflow: run.workflow, limit: opts.profileRuns }),
        cost: costOf(
          run,
          await root.journal.listAttempts(run.id),
          await root.journal.listCheckpoints(run.id),
        ),
        resources: readRunResources(root, run, now),
        ...(opts.capacity ? { capacity: await capacity() } : {}),
      };
      const masker = runMasker([run], ctx.io.env);
      if (config.values.json) writeJson(ctx.io, output, masker);
      else writeText(ctx.io, renderPerformance(output), masker);
      return EXIT.ok;
    });
  });
}

/** The journal file's size, when it can be read. */
function sizeOf(root: CliRoot): { sizeBytes?: number } {
  const size = journalFileBytes(root.config.values.db);
  return size === undefined ? {} : { sizeBytes: size };
}

function positiveInt(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1) {
    throw new InvalidArgumentError(`expected a positive integer, got '${value}'`);
  }
  return Number(value);
}
