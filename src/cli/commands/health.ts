import type { Command } from "commander";
import { type HealthReport, HealthRegistry } from "../../observe/index.js";
import { registerJournalChecks } from "../../observe/index.js";
import { type CommandContext, withRoot } from "../context.js";
import { EXIT } from "../exit-codes.js";
import { writeJson, writeText } from "../output.js";
import { type CommonOptions, withCommonOptions } from "./options.js";

const MARK = { pass: "ok  ", warn: "warn", fail: "FAIL" } as const;

export function registerHealth(program: Command, ctx: CommandContext): void {
  const cmd = program
    .command("health")
    .description(
      "check the journal: writable, integrity, recovery success rate, disk space; exits 1 when CRITICAL or FAILED",
    );
  withCommonOptions(cmd).action(async (opts: CommonOptions) => {
    const config = ctx.config(opts);
    const report = await withRoot(ctx, config, { readOnly: true }, (root) => {
      const registry = new HealthRegistry();
      registerJournalChecks(registry, { journal: root.journal, path: config.values.db });
      return registry.evaluate();
    });
    if (config.values.json) writeJson(ctx.io, report);
    else writeText(ctx.io, renderHealth(report));
    ctx.exitCode = report.ready ? EXIT.ok : EXIT.failed;
  });
}

/** The report for a person: the status, one line per check, then the recommendations. */
export function renderHealth(report: HealthReport): string {
  const width = Math.max(...report.checks.map((c) => c.name.length), 0);
  const lines = [`health: ${report.status}`, ""];
  for (const c of report.checks) {
    lines.push(
      `  ${MARK[c.state]}  ${c.name.padEnd(width)}  ${c.message}${c.critical ? "  (critical)" : ""}`,
    );
  }
  lines.push("", "Recommendations:", ...report.recommendations.map((r) => `  - ${r}`));
  return `${lines.join("\n")}\n`;
}
