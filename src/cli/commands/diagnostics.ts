import { chmodSync, mkdirSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import type { Command } from "commander";
import { errorMessage, InputError } from "../../index.js";
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
    const out = opts.out === undefined ? undefined : outPath(ctx.io.cwd, opts.out);
    ctx.exitCode = await withRoot(ctx, config, { readOnly: true }, async (root) => {
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
      if (out === undefined) {
        writeJson(ctx.io, bundle);
        return EXIT.ok;
      }
      writeBundle(out, `${JSON.stringify(bundle, null, 2)}\n`);
      if (config.values.json) writeJson(ctx.io, { path: out.path });
      else writeText(ctx.io, out.path);
      return EXIT.ok;
    });
  });
}

/** `--out FILE`, checked before any work: a directory is refused (exit 2). */
function outPath(cwd: string, out: string): { given: string; path: string } {
  const path = resolve(cwd, out);
  let isDirectory = false;
  try {
    isDirectory = statSync(path, { throwIfNoEntry: false })?.isDirectory() ?? false;
  } catch (e) {
    throw new InputError("invalid_input", `--out ${out}: ${errorMessage(e)}`);
  }
  if (isDirectory || out.endsWith("/")) {
    throw new InputError(
      "invalid_input",
      `--out ${out}: is a directory; name the bundle's file, e.g. ${join(out, "bundle.json")}`,
    );
  }
  return { given: out, path };
}

/** Writes the bundle (readable by the owner only: it describes the run in detail). */
function writeBundle(out: { given: string; path: string }, text: string): void {
  try {
    mkdirSync(dirname(out.path), { recursive: true });
    writeFileSync(out.path, text, { mode: 0o600 });
    // The mode above applies only to a file it creates: an existing one keeps its own otherwise.
    chmodSync(out.path, 0o600);
  } catch (e) {
    throw new InputError("invalid_input", `--out ${out.given}: cannot write the bundle: ${errorMessage(e)}`);
  }
}
