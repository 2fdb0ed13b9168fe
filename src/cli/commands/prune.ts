import type { Command } from "commander";
import { type RunRecord, TERMINAL_RUN_STATUSES } from "../../index.js";
import { type CommandContext, withRoot } from "../context.js";
import { EXIT } from "../exit-codes.js";
import { writeJson, writeText } from "../output.js";
import { dateTime, shortId, table } from "../render/format.js";
import { NoDatabaseError } from "../root.js";
import { removeRunWorkDir } from "../work-dirs.js";
import { type CommonOptions, withCommonOptions } from "./options.js";
import { deleteSamplesBefore } from "./sampling.js";
import { boundAt, type TimeBound, timeBound } from "./time-bound.js";

interface PruneOptions extends CommonOptions {
  olderThan: TimeBound;
  dryRun?: boolean;
}

export function registerPrune(program: Command, ctx: CommandContext): void {
  const cmd = program
    .command("prune")
    .description(
      "delete finished runs (succeeded, degraded, failed, cancelled), their work directories and older resource samples",
    )
    .requiredOption(
      "--older-than <when>",
      "runs that finished before: a duration ago (30d, 12h) or a date (2024-05-01)",
      timeBound,
    )
    .option("--dry-run", "list the runs that would be deleted, delete nothing");
  withCommonOptions(cmd).action(async (opts: PruneOptions) => {
    ctx.exitCode = await prune(ctx, opts);
  });
}

/** When a finished run ended (older journals may lack finishedAt: its last change then). */
const endOf = (run: RunRecord) => run.finishedAt ?? run.updatedAt;

async function prune(ctx: CommandContext, opts: PruneOptions): Promise<number> {
  const config = ctx.config(opts);
  const before = boundAt(opts.olderThan, Date.now());
  const json = config.values.json;
  try {
    return await withRoot(ctx, config, { mustExist: true }, async (root) => {
      const finished = await root.journal.listRuns({ status: [...TERMINAL_RUN_STATUSES] });
      const old = finished.filter((run) => endOf(run) < before).reverse();
      if (opts.dryRun) {
        if (json) writeJson(ctx.io, { dryRun: true, runs: old.map((r) => r.id) });
        else
          writeText(
            ctx.io,
            describe(old, `would delete ${count(old.length)} finished before ${dateTime(before)}`),
          );
        return EXIT.ok;
      }
      const deleted: string[] = [];
      let workDirs = 0;
      for (const run of old) {
        // Refused when the run was resumed since it was listed: it is not finished any more.
        if (!(await root.journal.deleteRun(run.id))) continue;
        deleted.push(run.id);
        if (await removeRunWorkDir(config, run.id)) workDirs++;
      }
      // The profiler's samples are per process, not per run: those taken before the bound go too.
      const samples = deleteSamplesBefore(root, before);
      if (json)
        writeJson(ctx.io, {
          dryRun: false,
          runs: deleted,
          workDirsRemoved: workDirs,
          samplesRemoved: samples,
        });
      else
        writeText(
          ctx.io,
          `deleted ${count(deleted.length)} finished before ${dateTime(before)} (${workDirs} work ${workDirs === 1 ? "directory" : "directories"} removed${samples > 0 ? `, ${samples} resource ${samples === 1 ? "sample" : "samples"}` : ""})`,
        );
      return EXIT.ok;
    });
  } catch (e) {
    if (!(e instanceof NoDatabaseError)) throw e;
    if (json) writeJson(ctx.io, { dryRun: opts.dryRun === true, runs: [] });
    else writeText(ctx.io, `nothing to prune (${e.message})`);
    return EXIT.ok;
  }
}

const count = (n: number) => `${n} ${n === 1 ? "run" : "runs"}`;

function describe(runs: readonly RunRecord[], title: string): string {
  if (runs.length === 0) return `${title}\n`;
  const rows = runs.map((r) => [shortId(r.id), r.workflow, r.status, dateTime(endOf(r))]);
  return `${title}:\n${table([["ID", "WORKFLOW", "STATUS", "FINISHED"], ...rows]).join("\n")}\n`;
}
