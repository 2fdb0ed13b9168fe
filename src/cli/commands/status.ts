import type { Command } from "commander";
import { InvalidArgumentError } from "commander";
import type { RunStatus } from "../../index.js";
import { type CommandContext, withRoot } from "../context.js";
import { EXIT } from "../exit-codes.js";
import { hintCommand } from "../hint.js";
import { runMasker } from "../mask.js";
import { writeJson, writeText } from "../output.js";
import { renderReport, runJson } from "../render/report.js";
import { renderRuns } from "../render/runs.js";
import { NoDatabaseError } from "../root.js";
import { requireRun } from "./lookup.js";
import { type CommonOptions, withCommonOptions } from "./options.js";
import { boundAt, statusList, type TimeBound, timeBound } from "./time-bound.js";

interface StatusOptions extends CommonOptions {
  limit: number;
  status?: RunStatus[];
  workflow?: string;
  since?: TimeBound;
}

export function registerStatus(program: Command, ctx: CommandContext): void {
  const cmd = program
    .command("status")
    .description("list runs, or show one run's stages and steps")
    .argument("[run-id]", "a run id, its short id, or a unique start of it")
    .option("--limit <n>", "at most this many runs, newest first", positiveInt, 50)
    .option("--status <list>", "only runs with these statuses, e.g. failed,blocked (repeatable)", statusList)
    .option("--workflow <name>", "only runs of this workflow (its `name`)")
    .option(
      "--since <when>",
      "only runs started since: a duration ago (2h, 30d) or a date (2024-05-01)",
      timeBound,
    );
  withCommonOptions(cmd).action(async (runId: string | undefined, opts: StatusOptions) => {
    ctx.exitCode = runId ? await showRun(ctx, runId, opts) : await listRuns(ctx, opts);
  });
}

async function showRun(ctx: CommandContext, id: string, opts: StatusOptions): Promise<number> {
  const config = ctx.config(opts);
  return withRoot(ctx, config, { readOnly: true }, async (root) => {
    const run = await requireRun(root.journal, id);
    const report = await root.engine.report(run.id);
    const masker = runMasker([run], ctx.io.env);
    if (config.values.json) writeJson(ctx.io, runJson(report), masker);
    else
      writeText(
        ctx.io,
        renderReport(report, (id) => hintCommand(ctx.io, config, `resume ${id}`)),
        masker,
      );
    return EXIT.ok;
  });
}

async function listRuns(ctx: CommandContext, opts: StatusOptions): Promise<number> {
  const config = ctx.config(opts);
  try {
    return await withRoot(ctx, config, { readOnly: true }, async (root) => {
      const runs = await root.journal.listRuns({
        limit: opts.limit,
        ...(opts.status ? { status: opts.status } : {}),
        ...(opts.workflow !== undefined ? { workflow: opts.workflow } : {}),
        ...(opts.since ? { createdSince: boundAt(opts.since, Date.now()) } : {}),
      });
      const masker = runMasker(runs, ctx.io.env);
      if (config.values.json) {
        const reports = await Promise.all(runs.map((run) => root.engine.report(run.id)));
        writeJson(ctx.io, reports.map(runJson), masker);
      } else {
        const ids = new Set(runs.filter((run) => root.engine.isInterrupted(run)).map((run) => run.id));
        const hint = (gone: string[]) =>
          hintCommand(ctx.io, config, gone.length === 1 ? `resume ${gone[0]}` : "resume --all");
        writeText(
          ctx.io,
          runs.length === 0 && filtered(opts)
            ? "no runs match\n"
            : renderRuns(runs, Date.now(), { ids, hint }),
          masker,
        );
      }
      return EXIT.ok;
    });
  } catch (e) {
    if (!(e instanceof NoDatabaseError)) throw e;
    if (config.values.json) writeJson(ctx.io, []);
    else writeText(ctx.io, `no runs (${e.message})`);
    return EXIT.ok;
  }
}

const filtered = (opts: StatusOptions) =>
  opts.status !== undefined || opts.workflow !== undefined || opts.since !== undefined;

function positiveInt(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1) {
    throw new InvalidArgumentError(`expected a positive integer, got '${value}'`);
  }
  return Number(value);
}
