import { Command } from "commander";
import { registerAlert } from "./commands/alert.js";
import { registerCancel } from "./commands/cancel.js";
import { registerCompletion } from "./commands/completion.js";
import { registerDiagnostics } from "./commands/diagnostics.js";
import { registerHealth } from "./commands/health.js";
import { registerHistory } from "./commands/history.js";
import { registerInit } from "./commands/init.js";
import { registerPrune } from "./commands/prune.js";
import { registerReport } from "./commands/report.js";
import { registerLogs } from "./commands/logs.js";
import { registerMetrics } from "./commands/metrics.js";
import { registerResume } from "./commands/resume.js";
import { registerRun } from "./commands/run.js";
import { registerSla } from "./commands/sla.js";
import { registerStats } from "./commands/stats.js";
import { registerStatus } from "./commands/status.js";
import { registerValidate } from "./commands/validate.js";
import type { CommandContext } from "./context.js";
import { stageflowVersion } from "./version.js";

/** The `stageflow` command tree. Output goes to the context's streams; errors are thrown, never exit. */
export function buildProgram(ctx: CommandContext): Command {
  const program = new Command("stageflow")
    .description("run durable multi-stage workflows; interrupted runs resume where they stopped")
    .version(stageflowVersion(), "-V, --version")
    .configureOutput({
      writeOut: (text) => ctx.io.stdout.write(text),
      writeErr: (text) => ctx.io.stderr.write(text),
    })
    .exitOverride()
    .showHelpAfterError("(run with --help for usage)");
  for (const register of [
    registerRun,
    registerResume,
    registerStatus,
    registerHistory,
    registerLogs,
    registerDiagnostics,
    registerValidate,
    registerCancel,
    registerStats,
    registerMetrics,
    registerReport,
    registerHealth,
    registerSla,
    registerPrune,
    registerAlert,
    registerInit,
    registerCompletion,
  ]) {
    register(program, ctx);
  }
  return program;
}
