import { CommanderError } from "commander";
import { errorMessage, isInputError } from "../index.js";
import { createContext } from "./context.js";
import { EXIT, exitCodeForError, isStorageError } from "./exit-codes.js";
import { type CliIo, processIo } from "./io.js";
import { maskText } from "./mask.js";
import { writeJson } from "./output.js";
import { buildProgram } from "./program.js";

/**
 * Runs the `stageflow` command with `argv` (as in process.argv: node, script, args...) and
 * returns its exit code. Never calls process.exit, so tests drive it in-process.
 */
export async function run(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  const ctx = createContext(io);
  const program = buildProgram(ctx);
  try {
    await program.parseAsync([...argv], { from: "node" });
    return ctx.exitCode;
  } catch (e) {
    return reportError(e, io, argv.includes("--json"));
  }
}

function reportError(e: unknown, io: CliIo, json: boolean): number {
  if (e instanceof CommanderError) {
    // Commander has already written help, the version, or the usage error.
    return e.exitCode === 0 ? EXIT.ok : EXIT.usage;
  }
  const code = exitCodeForError(e);
  const message = maskText(errorMessage(e));
  const known = isInputError(e) || isStorageError(e);
  io.stderr.write(
    known ? `${message}\n` : `stageflow: ${e instanceof Error ? e.name : "error"}: ${message}\n`,
  );
  if (code === EXIT.failed && e instanceof Error && e.stack && !known)
    io.stderr.write(`${maskText(e.stack)}\n`);
  if (json) {
    const reason = (e as { reason?: unknown }).reason ?? null;
    writeJson(io, {
      error: { name: e instanceof Error ? e.name : "Error", reason, message, exitCode: code },
    });
  }
  return code;
}
