import { describe, expect, it } from "vitest";
import { maskText, SecretMasker } from "../../src/engine/secrets/index.js";
import { lineReader, TAIL_BYTES, tailLine, tailText } from "../../src/steps/lines.js";
import { secretFragments } from "../support/fragments.js";

const MAX_LINE = 64 * 1024;
const SECRET = "Zq8-SECRETPART-0123456789-TAILPART";
const masker = new SecretMasker([SECRET]);

/** Pushes `chunks` through a line reader; returns the lines it emitted. */
function read(chunks: string[], secrets?: SecretMasker): string[] {
  const lines: string[] = [];
  const reader = lineReader((line) => lines.push(line), secrets);
  for (const chunk of chunks) reader.push(chunk);
  reader.end();
  return lines;
}

describe("lineReader: an over-long line is emitted in pieces that split no secret", () => {
  it("carries the beginning of a secret over to the next piece, wherever the chunks cut it", () => {
    const before = "x".repeat(MAX_LINE);
    for (let k = 1; k < SECRET.length; k++) {
      // The first chunk makes the line longer than 64 KiB and ends k characters into the secret.
      const pieces = read([before + SECRET.slice(0, k), `${SECRET.slice(k)} after\n`, "next\n"], masker);
      expect(pieces.length, `cut after ${k}`).toBeGreaterThan(2);
      expect(pieces.at(-1)).toBe("next");
      // What a consumer (the engine's step logs, the logger) does with each piece: mask it.
      const shown = pieces.slice(0, -1).map((p) => masker.text(p));
      for (const piece of shown) expect(secretFragments(SECRET, piece), `cut after ${k}`).toEqual([]);
      expect(shown.join("")).toBe(`${before}*** after`);
    }
  });

  it("keeps every secret of a very long line whole when every chunk ends inside one", () => {
    const CHUNK = 4093;
    // Each chunk boundary falls 14 characters into a secret.
    const line = "y".repeat(20) + ("y".repeat(CHUNK - SECRET.length) + SECRET).repeat(50);
    const text = `${line}\n`;
    const chunks: string[] = [];
    for (let at = 0; at < text.length; at += CHUNK) chunks.push(text.slice(at, at + CHUNK));
    expect(chunks[0]?.endsWith(SECRET.slice(0, 14))).toBe(true);
    const pieces = read(chunks, masker);
    expect(pieces.length).toBeGreaterThanOrEqual(3);
    for (const piece of pieces) {
      expect(piece.length).toBeLessThanOrEqual(MAX_LINE + CHUNK);
      expect(secretFragments(SECRET, masker.text(piece))).toEqual([]);
    }
    expect(pieces.map((p) => masker.text(p)).join("")).toBe(masker.text(line));
  });

  it("does not cut a token-shaped word at a piece's end (no declared secrets)", () => {
    const token = `ghp_${"a1B2c3D4e5".repeat(4)}`;
    const before = "ab ".repeat(Math.ceil(MAX_LINE / 3));
    for (const k of [4, 10, 20, token.length - 1]) {
      const pieces = read([before + token.slice(0, k), `${token.slice(k)} done\n`]);
      const shown = pieces.map((p) => maskText(p));
      for (const piece of shown) expect(secretFragments(token, piece), `cut after ${k}`).toEqual([]);
      expect(shown.join("")).toBe(`${before}*** done`);
    }
  });

  it("emits lines up to 64 KiB whole, as they are (their consumers mask them)", () => {
    expect(read([`a ${SECRET}\nb`, "c\r\n", "last"], masker)).toEqual([`a ${SECRET}`, "bc", "last"]);
  });
});

describe("the stderr tail is masked before it is cut", () => {
  it("cuts a long line's masked text, so a secret across the cut leaves nothing", () => {
    // Cut to its last TAIL_BYTES unmasked, this line would begin in the middle of the secret.
    const line = `${SECRET}${"y".repeat(TAIL_BYTES - 10)}`;
    const kept = tailLine(line, masker);
    expect(kept).toBe(`***${"y".repeat(TAIL_BYTES - 10)}`);
    expect(secretFragments(SECRET, tailText(["before", kept]))).toEqual([]);
  });

  it("masks token-shaped text in the tail even without declared secrets", () => {
    expect(tailLine(`token ghp_${"x".repeat(36)}`)).toBe("token ***");
  });
});
