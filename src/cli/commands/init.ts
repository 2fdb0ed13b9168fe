import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, relative, resolve } from "node:path";
import type { Command } from "commander";
import { errorMessage, InputError } from "../../index.js";
import type { CommandContext } from "../context.js";
import { EXIT } from "../exit-codes.js";
import { hintCommand } from "../hint.js";
import { writeJson, writeText } from "../output.js";
import { STARTER_WORKFLOW } from "./starter.js";

export const DEFAULT_INIT_PATH = ".github/stageflow/example.yml";

export function registerInit(program: Command, ctx: CommandContext): void {
  program
    .command("init")
    .description(`write a starter workflow (${DEFAULT_INIT_PATH}, or FILE); never overwrites`)
    .argument("[file]", "where to write it", DEFAULT_INIT_PATH)
    .option("--json", "print one JSON document on stdout and nothing else")
    .action((file: string, opts: { json?: boolean }) => {
      ctx.exitCode = init(ctx, file, opts.json === true);
    });
}

function init(ctx: CommandContext, file: string, json: boolean): number {
  const path = resolve(ctx.io.cwd, file);
  const shown = relative(ctx.io.cwd, path).startsWith("..") ? path : relative(ctx.io.cwd, path);
  try {
    mkdirSync(dirname(path), { recursive: true });
    // `wx`: fails if the file exists, so nothing a user wrote is ever replaced.
    writeFileSync(path, STARTER_WORKFLOW, { flag: "wx" });
  } catch (e) {
    const exists = (e as NodeJS.ErrnoException).code === "EEXIST";
    throw new InputError(
      "invalid_input",
      exists
        ? `${shown} already exists; not overwriting it (give another path)`
        : `${shown}: cannot write: ${errorMessage(e)}`,
    );
  }
  if (json) {
    writeJson(ctx.io, { written: shown });
    return EXIT.ok;
  }
  const cmd = (args: string) => hintCommand(ctx.io, undefined, args);
  writeText(
    ctx.io,
    [
      `wrote ${shown}`,
      "next:",
      `  ${cmd(`validate ${shown}`)}`,
      `  ${cmd(`run ${shown} --dry-run`)}`,
      `  ${cmd(`run ${shown}`)}`,
    ].join("\n"),
  );
  return EXIT.ok;
}
