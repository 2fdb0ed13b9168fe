import type { Command } from "commander";
import { type CommandContext, withRoot } from "../context.js";
import { EXIT } from "../exit-codes.js";
import { runMasker } from "../mask.js";
import { writeJson, writeText } from "../output.js";
import { renderHistory } from "../render/history.js";
import { requireRun } from "./lookup.js";
import { type CommonOptions, withCommonOptions } from "./options.js";

export function registerHistory(program: Command, ctx: CommandContext): void {
  const cmd = program
    .command("history")
    .description("replay a run's timeline from its journaled events")
    .argument("<run-id>", "a run id, its short id, or a unique start of it");
  withCommonOptions(cmd).action(async (id: string, opts: CommonOptions) => {
    const config = ctx.config(opts);
    ctx.exitCode = await withRoot(ctx, config, { readOnly: true }, async (root) => {
      const run = await requireRun(root.journal, id);
      const events = await root.journal.listEvents(run.id);
      const masker = runMasker([run], ctx.io.env);
      if (config.values.json) writeJson(ctx.io, events, masker);
      else writeText(ctx.io, renderHistory(run, events), masker);
      return EXIT.ok;
    });
  });
}
