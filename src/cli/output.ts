import type { CliIo } from "./io.js";
import { maskSecrets, maskText, type SecretMasker } from "./mask.js";

/** Writes one JSON document to stdout, secrets masked (by key, pattern and the masker's values). */
export function writeJson(io: CliIo, value: unknown, values?: SecretMasker): void {
  io.stdout.write(`${JSON.stringify(maskSecrets(value, values), null, 2)}\n`);
}

/** Writes text to stdout, ending with a newline, token-shaped text and the masker's values masked. */
export function writeText(io: CliIo, text: string, values?: SecretMasker): void {
  const masked = maskText(text, values);
  io.stdout.write(masked.endsWith("\n") ? masked : `${masked}\n`);
}

/** A message for a person (stderr), never mixed into `--json` output. */
export function writeNote(io: CliIo, text: string): void {
  io.stderr.write(text.endsWith("\n") ? text : `${text}\n`);
}
