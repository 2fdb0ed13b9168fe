import { setTimeout as sleep } from "node:timers/promises";
import type { Command } from "commander";
import type { Journal, RunRecord } from "../../index.js";
import { type CommandContext, withRoot } from "../context.js";
import { EXIT } from "../exit-codes.js";
import { writeJson, writeText } from "../output.js";
import { FINISHED, requireRun } from "./lookup.js";
import { type CommonOptions, withCommonOptions } from "./options.js";

/** How long `cancel` waits for the process that executes the run to end it. */
const WAIT_MS = 5_000;
const POLL_MS = 100;

export function registerCancel(program: Command, ctx: CommandContext): void {
  const cmd = program
    .command("cancel")
    .description("cancel a run (a run executing in another process stops within a second)")
    .argument("<run-id>", "a run id, its short id, or a unique start of it");
  withCommonOptions(cmd).action(async (id: string, opts: CommonOptions) => {
    const config = ctx.config(opts);
    ctx.exitCode = await withRoot(ctx, config, { mustExist: true }, async (root) => {
      const run = await requireRun(root.journal, id);
      const already = FINISHED.includes(run.status);
      if (!already) await root.engine.cancel(run.id);
      const after = already ? run : await settled(root.journal, run);
      if (config.values.json) {
        writeJson(ctx.io, { id: after.id, status: after.status, cancelRequested: after.cancelRequested });
      } else if (already) {
        writeText(ctx.io, `run ${run.id} already ${run.status}; nothing to cancel`);
      } else if (after.status === "cancelled") {
        writeText(ctx.io, `run ${run.id} cancelled`);
      } else if (FINISHED.includes(after.status)) {
        writeText(ctx.io, `run ${run.id} ${after.status} before the cancel took effect`);
      } else {
        writeText(
          ctx.io,
          `cancel requested for run ${run.id} (${after.status}); ${after.leaseOwner ?? "its process"} stops it`,
        );
      }
      return EXIT.ok;
    });
  });
}

/**
 * The run once the process that executes it has acted on the cancel (it polls for it about twice
 * a second), or as it is after WAIT_MS.
 */
async function settled(journal: Journal, run: RunRecord): Promise<RunRecord> {
  const end = Date.now() + WAIT_MS;
  for (;;) {
    const now = (await journal.getRun(run.id)) ?? run;
    if (FINISHED.includes(now.status) || now.status !== "running" || Date.now() >= end) return now;
    await sleep(POLL_MS);
  }
}
