import type { Command } from "commander";
import { isInputError } from "../../index.js";
import type { CommandContext } from "../context.js";
import { EXIT } from "../exit-codes.js";
import { writeJson, writeText } from "../output.js";
import { type CommonOptions, withCommonOptions } from "./options.js";
import { loadWorkflow, planSize } from "./workflow-file.js";

interface FileResult {
  file: string;
  ok: boolean;
  stages?: number;
  steps?: number;
  /** The error's text: one line per problem, each `file:line:col path: message`. */
  message?: string;
  /** Structured problems (file, line, column, path, message), when the parser gives them. */
  problems?: unknown[];
}

export function registerValidate(program: Command, ctx: CommandContext): void {
  const cmd = program
    .command("validate")
    .description("check workflow files without running them (exit 2 when any is invalid)")
    .argument("<files...>", "workflow files");
  withCommonOptions(cmd).action(async (files: string[], opts: CommonOptions) => {
    const config = ctx.config(opts);
    const results = files.map((file) => validateFile(ctx, file));
    if (config.values.json) writeJson(ctx.io, results);
    else {
      for (const r of results) {
        writeText(
          ctx.io,
          r.ok ? `${r.file}: ok (${planSize(r.stages ?? 0, r.steps ?? 0)})` : (r.message ?? ""),
        );
      }
    }
    ctx.exitCode = results.every((r) => r.ok) ? EXIT.ok : EXIT.usage;
  });
}

function validateFile(ctx: CommandContext, file: string): FileResult {
  try {
    const plan = loadWorkflow(file, ctx.io.cwd, ctx.kinds());
    const steps = plan.stages.reduce((n, stage) => n + stage.steps.length, 0);
    return { file, ok: true, stages: plan.stages.length, steps };
  } catch (e) {
    if (!isInputError(e)) throw e;
    const problems = (e as { problems?: unknown }).problems;
    return {
      file,
      ok: false,
      message: e.message,
      problems: Array.isArray(problems) ? problems : [...e.issues],
    };
  }
}
