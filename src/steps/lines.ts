/** Splits a stream's text into lines (a very long line is cut at 64 KB), and keeps a tail of stderr. */
import { maskText, type SecretMasker } from "../engine/secrets/index.js";

export const TAIL_LINES = 20;
export const TAIL_BYTES = 4096;
const MAX_LINE = 64 * 1024;
/** At most this many word characters at the end of a cut piece go to the next one (a token is not cut). */
const WORD_CARRY = 256;

/**
 * Calls `emit` with each line of the text pushed. A line longer than 64 KB is emitted in pieces,
 * cut so that no piece holds part of a secret: the run's secret values (`secrets`) in a piece are
 * masked there, whole; what may begin one that goes on (at most its longest form less one
 * character) is carried over to the next piece, and so is a run of word characters (a token) at
 * the cut. Whole lines are emitted as they are: their consumers mask them.
 */
export function lineReader(emit: (line: string) => void, secrets?: SecretMasker) {
  let partial = "";
  return {
    push(chunk: string) {
      const parts = (partial + chunk).split("\n");
      partial = parts.pop() ?? "";
      for (const p of parts) emit(p.endsWith("\r") ? p.slice(0, -1) : p);
      if (partial.length > MAX_LINE) {
        const { masked, rest } = cutPiece(partial, secrets);
        if (masked) emit(masked);
        partial = rest;
      }
    },
    end() {
      if (partial) emit(partial);
      partial = "";
    },
  };
}

/** A piece of an over-long line that can be emitted, masked, and the rest to carry over. */
function cutPiece(text: string, secrets: SecretMasker | undefined): { masked: string; rest: string } {
  const { masked, rest } = secrets ? secrets.split(text) : { masked: text, rest: "" };
  let cut = masked.length;
  while (cut > 0 && masked.length - cut < WORD_CARRY && /[\w-]/.test(masked.charAt(cut - 1))) cut--;
  if (cut === 0 || masked.length - cut === WORD_CARRY) return { masked, rest }; // a longer word: cut it
  return { masked: masked.slice(0, cut), rest: masked.slice(cut) + rest };
}

/** A stderr line as the tail keeps it: masked (before it is cut, so no part of a secret is left), its last TAIL_BYTES. */
export function tailLine(line: string, secrets?: SecretMasker): string {
  const masked = maskText(line, secrets);
  return masked.length > TAIL_BYTES ? masked.slice(-TAIL_BYTES) : masked;
}

/** The tail's lines as one text, its last TAIL_BYTES (lines masked by tailLine). */
export function tailText(lines: string[]): string {
  const text = lines.join("\n").trimEnd();
  return text.length > TAIL_BYTES ? text.slice(-TAIL_BYTES) : text;
}
