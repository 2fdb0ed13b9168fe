import type { Command } from "commander";
import { InvalidArgumentError } from "commander";
import { type EventRecord, type Journal, parseDuration, recoveryStats, type RunRecord } from "../../index.js";
import { type CommandContext, withRoot } from "../context.js";
import { EXIT } from "../exit-codes.js";
import { writeJson, writeText } from "../output.js";
import { RUN_STATUSES, renderStats, type StatsReport } from "../render/stats.js";
import { NoDatabaseError } from "../root.js";
import { type CommonOptions, withCommonOptions } from "./options.js";

interface StatsOptions extends CommonOptions {
  workflow?: string;
  since?: { text: string; ms: number };
}

export function registerStats(program: Command, ctx: CommandContext): void {
  const cmd = program
    .command("stats")
    .description("recovery statistics over the recorded runs: by strategy, error type and pattern")
    .option("--workflow <name>", "only runs of this workflow")
    .option("--since <duration>", "only runs created within this long, e.g. 24h or 7d", sinceOption);
  withCommonOptions(cmd).action(async (opts: StatsOptions) => {
    const config = ctx.config(opts);
    const now = Date.now();
    let report: StatsReport;
    try {
      report = await withRoot(ctx, config, { readOnly: true }, (root) => collect(root.journal, opts, now));
    } catch (e) {
      if (!(e instanceof NoDatabaseError)) throw e;
      report = statsReport([], [], opts, now);
    }
    if (config.values.json) writeJson(ctx.io, report);
    else writeText(ctx.io, renderStats(report));
    ctx.exitCode = EXIT.ok;
  });
}

async function collect(journal: Journal, opts: StatsOptions, now: number): Promise<StatsReport> {
  const from = opts.since === undefined ? null : now - opts.since.ms;
  const runs = (
    await journal.listRuns(opts.workflow === undefined ? {} : { workflow: opts.workflow })
  ).filter((run) => from === null || run.createdAt >= from);
  const events: EventRecord[] = [];
  // One push per event: spreading a run's events as arguments overflows the stack (~130,000).
  for (const run of runs) for (const event of await journal.listEvents(run.id)) events.push(event);
  return statsReport(runs, events, opts, now);
}

/** The report over these runs and their events. */
export function statsReport(
  runs: readonly RunRecord[],
  events: readonly EventRecord[],
  opts: StatsOptions,
  now: number,
): StatsReport {
  const byStatus: Record<string, number> = Object.fromEntries(RUN_STATUSES.map((status) => [status, 0]));
  for (const run of runs) byStatus[run.status] = (byStatus[run.status] ?? 0) + 1;
  return {
    filter: {
      workflow: opts.workflow ?? null,
      since: opts.since?.text ?? null,
      from: opts.since === undefined ? null : now - opts.since.ms,
    },
    runs: { total: runs.length, byStatus },
    ...recoveryStats(events),
  };
}

function sinceOption(value: string): { text: string; ms: number } {
  const ms = parseDuration(value);
  if (ms === undefined) {
    throw new InvalidArgumentError(`expected a duration such as '30m', '24h' or '7d', got '${value}'`);
  }
  return { text: value, ms };
}
