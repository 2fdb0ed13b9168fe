import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import type { Command } from "commander";
import { type CommandContext, withRoot } from "../context.js";
import { diagnosticsBundle } from "../diagnostics.js";
import { EXIT } from "../exit-codes.js";
import { runMasker } from "../mask.js";
import { writeJson, writeText } from "../output.js";
import { stageflowVersion } from "../version.js";
import { requireRun } from "./lookup.js";
import { type CommonOptions, withCommonOptions } from "./options.js";

interface DiagnosticsOptions extends CommonOptions {
  out?: string;
}

export function registerDiagnostics(program: Command, ctx: CommandContext): void {
  const cmd = program
    .command("diagnostics")
    .description("write a support bundle for a run (JSON, secrets masked)")
    .argument("<run-id>", "a run id, its short id, or a unique start of it")
    .option("--out <file>", "write the bundle to this file instead of stdout");
  withCommonOptions(cmd).action(async (id: string, opts: DiagnosticsOptions) => {
    const config = ctx.config(opts);
    ctx.exitCode = await withRoot(ctx, config, { mustExist: true }, async (root) => {
      const run = await requireRun(root.journal, id);
      const bundle = diagnosticsBundle({
        generatedAt: Date.now(),
        run,
        report: await root.engine.report(run.id),
        attempts: await root.journal.listAttempts(run.id),
        checkpoints: await root.journal.listCheckpoints(run.id),
        events: await root.journal.listEvents(run.id),
        stepLog: await root.journal.listStepLog(run.id),
        config,
        masker: runMasker([run], ctx.io.env),
        journal: await root.journal.verify(),
        environment: {
          node: process.version,
          platform: process.platform,
          arch: process.arch,
          stageflow: stageflowVersion(),
        },
      });
      if (opts.out === undefined) {
        writeJson(ctx.io, bundle);
        return EXIT.ok;
      }
      const path = resolve(ctx.io.cwd, opts.out);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, `${JSON.stringify(bundle, null, 2)}\n`);
      if (config.values.json) writeJson(ctx.io, { path });
      else writeText(ctx.io, path);
      return EXIT.ok;
    });
  });
}
