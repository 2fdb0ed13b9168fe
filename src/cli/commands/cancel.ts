import type { Command } from "commander";
import { type CommandContext, withRoot } from "../context.js";
import { EXIT } from "../exit-codes.js";
import { writeJson, writeText } from "../output.js";
import { FINISHED, requireRun } from "./lookup.js";
import { type CommonOptions, withCommonOptions } from "./options.js";

export function registerCancel(program: Command, ctx: CommandContext): void {
  const cmd = program
    .command("cancel")
    .description("cancel a run (a run in another process stops at its next lease renewal)")
    .argument("<run-id>", "a run id, its short id, or a unique start of it");
  withCommonOptions(cmd).action(async (id: string, opts: CommonOptions) => {
    const config = ctx.config(opts);
    ctx.exitCode = await withRoot(ctx, config, { mustExist: true }, async (root) => {
      const run = await requireRun(root.journal, id);
      const already = FINISHED.includes(run.status);
      if (!already) await root.engine.cancel(run.id);
      const after = (await root.journal.getRun(run.id)) ?? run;
      if (config.values.json) {
        writeJson(ctx.io, { id: after.id, status: after.status, cancelRequested: after.cancelRequested });
      } else if (already) {
        writeText(ctx.io, `run ${run.id} already ${run.status}; nothing to cancel`);
      } else if (after.status === "cancelled") {
        writeText(ctx.io, `run ${run.id} cancelled`);
      } else {
        writeText(
          ctx.io,
          `cancel requested for run ${run.id} (${after.status}); its process stops it at its next lease renewal`,
        );
      }
      return EXIT.ok;
    });
  });
}
