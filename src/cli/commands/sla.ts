import type { Command } from "commander";
import { InvalidArgumentError } from "commander";
import { formatDuration, parseDuration } from "../../index.js";
import { type SlaObjectives, type SlaReport, type SlaResult, slaReport } from "../../observe/index.js";
import { type CommandContext, withRoot } from "../context.js";
import { EXIT } from "../exit-codes.js";
import { writeJson, writeText } from "../output.js";
import { type CommonOptions, withCommonOptions } from "./options.js";

interface SlaOptions extends CommonOptions {
  window?: number;
  p95?: number;
  successRate?: number;
  recoveryRate?: number;
}

export function registerSla(program: Command, ctx: CommandContext): void {
  const cmd = program
    .command("sla")
    .description(
      "SLA compliance over the recorded runs (the host's objectives and each workflow's `sla:`); exits 1 when one is breached",
    )
    .option("--window <duration>", "the host's rolling window, e.g. 24h or 7d (default 24h)", duration)
    .option("--p95 <duration>", "the host's p95 run duration objective, e.g. 15m", duration)
    .option("--success-rate <ratio>", "the host's success-rate objective, e.g. 0.99", ratio)
    .option("--recovery-rate <ratio>", "the host's recovery success-rate objective (default 0.9)", ratio);
  withCommonOptions(cmd).action(async (opts: SlaOptions) => {
    const config = ctx.config(opts);
    const host: SlaObjectives = {
      ...(opts.window !== undefined ? { windowMs: opts.window } : {}),
      ...(opts.p95 !== undefined ? { p95DurationMs: opts.p95 } : {}),
      ...(opts.successRate !== undefined ? { successRate: opts.successRate } : {}),
      ...(opts.recoveryRate !== undefined ? { recoveryRate: opts.recoveryRate } : {}),
    };
    const report = await withRoot(ctx, config, { readOnly: true }, (root) =>
      slaReport({ journal: root.journal, host }),
    );
    if (config.values.json) writeJson(ctx.io, report);
    else writeText(ctx.io, renderSla(report));
    ctx.exitCode = report.slas.some((s) => s.verdict === "breached") ? EXIT.failed : EXIT.ok;
  });
}

const shown = (s: SlaResult, v: number | null) =>
  v === null ? "-" : s.metric === "p95_duration" ? formatDuration(v) : `${(v * 100).toFixed(2)}%`;

/** One line per SLA: name, value, comparison and threshold, compliance, verdict. */
export function renderSla(report: SlaReport): string {
  if (report.slas.length === 0) return "no SLA to track\n";
  const rows = report.slas.map((s) => [
    s.name,
    shown(s, s.value),
    `${s.comparison} ${shown(s, s.threshold)}`,
    s.compliance === null ? "-" : `${(s.compliance * 100).toFixed(1)}%`,
    `${s.samples}`,
    `${formatDuration(s.windowMs)}`,
    s.verdict,
  ]);
  const head = ["SLA", "VALUE", "THRESHOLD", "COMPLIANCE", "SAMPLES", "WINDOW", "VERDICT"];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => c.padEnd(widths[i] as number))
      .join("  ")
      .trimEnd();
  const out = [line(head), ...rows.map(line)];
  if (report.overallCompliance !== null)
    out.push("", `overall: ${(report.overallCompliance * 100).toFixed(0)}% of the SLAs with data are met`);
  for (const p of report.problems) out.push(`problem: ${p}`);
  return `${out.join("\n")}\n`;
}

function duration(value: string): number {
  const ms = parseDuration(value);
  if (ms === undefined || ms <= 0)
    throw new InvalidArgumentError(`expected a duration such as '15m' or '24h', got '${value}'`);
  return ms;
}

function ratio(value: string): number {
  const n = Number(value);
  if (!(n > 0 && n <= 1)) throw new InvalidArgumentError(`expected a number between 0 and 1, got '${value}'`);
  return n;
}
