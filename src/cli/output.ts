import type { CliIo } from "./io.js";
import { maskSecrets } from "./mask.js";

/** Writes one JSON document to stdout, secrets masked. */
export function writeJson(io: CliIo, value: unknown): void {
  io.stdout.write(`${JSON.stringify(maskSecrets(value), null, 2)}\n`);
}

/** Writes text to stdout, ending with a newline. */
export function writeText(io: CliIo, text: string): void {
  io.stdout.write(text.endsWith("\n") ? text : `${text}\n`);
}

/** A message for a person (stderr), never mixed into `--json` output. */
export function writeNote(io: CliIo, text: string): void {
  io.stderr.write(text.endsWith("\n") ? text : `${text}\n`);
}
