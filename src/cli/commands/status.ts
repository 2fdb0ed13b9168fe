import type { Command } from "commander";
import { InvalidArgumentError } from "commander";
import { type CommandContext, withRoot } from "../context.js";
import { EXIT } from "../exit-codes.js";
import { hintCommand } from "../hint.js";
import { writeJson, writeText } from "../output.js";
import { renderReport, runJson } from "../render/report.js";
import { renderRuns } from "../render/runs.js";
import { NoDatabaseError } from "../root.js";
import { requireRun } from "./lookup.js";
import { type CommonOptions, withCommonOptions } from "./options.js";

interface StatusOptions extends CommonOptions {
  limit: number;
}

export function registerStatus(program: Command, ctx: CommandContext): void {
  const cmd = program
    .command("status")
    .description("list runs, or show one run's stages and steps")
    .argument("[run-id]", "a run id or unique prefix")
    .option("--limit <n>", "at most this many runs, newest first", positiveInt, 50);
  withCommonOptions(cmd).action(async (runId: string | undefined, opts: StatusOptions) => {
    ctx.exitCode = runId ? await showRun(ctx, runId, opts) : await listRuns(ctx, opts);
  });
}

async function showRun(ctx: CommandContext, id: string, opts: StatusOptions): Promise<number> {
  const config = ctx.config(opts);
  return withRoot(ctx, config, { mustExist: true }, async (root) => {
    const run = await requireRun(root.journal, id);
    const report = await root.engine.report(run.id);
    if (config.values.json) writeJson(ctx.io, runJson(report));
    else
      writeText(
        ctx.io,
        renderReport(report, (id) => hintCommand(ctx.io, config, `resume ${id}`)),
      );
    return EXIT.ok;
  });
}

async function listRuns(ctx: CommandContext, opts: StatusOptions): Promise<number> {
  const config = ctx.config(opts);
  try {
    return await withRoot(ctx, config, { mustExist: true }, async (root) => {
      const runs = await root.journal.listRuns({ limit: opts.limit });
      if (config.values.json) {
        const reports = await Promise.all(runs.map((run) => root.engine.report(run.id)));
        writeJson(ctx.io, reports.map(runJson));
      } else {
        writeText(ctx.io, renderRuns(runs, Date.now()));
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

function positiveInt(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1) {
    throw new InvalidArgumentError(`expected a positive integer, got '${value}'`);
  }
  return Number(value);
}
