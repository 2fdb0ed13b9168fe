import * as crypto from "node:crypto";
import { BYTE_HEX } from "./ids.js";

/** JSON with object keys sorted at every level: equal values give equal text. */
export function canonicalJson(value: unknown): string {
  try {
    return plainJson(value);
  } catch (e) {
    if (e !== NOT_PLAIN) throw e;
    return JSON.stringify(sortKeys(value));
  }
}

const NOT_PLAIN = Symbol("not plain JSON");

/**
 * The same text as `JSON.stringify(sortKeys(value))` for plain JSON values (strings, finite
 * numbers, booleans, null, arrays, objects of Object's prototype), written directly without
 * copying every object; anything else (a Date, a class instance, NaN, a function...) throws
 * NOT_PLAIN and takes the general path.
 */
function plainJson(value: unknown): string {
  switch (typeof value) {
    case "string":
      return JSON.stringify(value);
    case "boolean":
      return value ? "true" : "false";
    case "number":
      if (!Number.isFinite(value)) throw NOT_PLAIN;
      return JSON.stringify(value);
    case "object": {
      if (value === null) return "null";
      if (Array.isArray(value)) {
        let out = "[";
        for (let i = 0; i < value.length; i++) {
          if (i > 0) out += ",";
          const item: unknown = value[i];
          out += item === undefined ? "null" : plainJson(item);
        }
        return `${out}]`;
      }
      const proto: unknown = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) throw NOT_PLAIN;
      const record = value as Record<string, unknown>;
      let out = "{";
      let first = true;
      for (const key of sortedKeys(record)) {
        const v = record[key];
        if (v === undefined) continue;
        out += `${first ? "" : ","}${JSON.stringify(key)}:${plainJson(v)}`;
        first = false;
      }
      return `${out}}`;
    }
    default:
      throw NOT_PLAIN;
  }
}

/**
 * The key order of the object sortKeys builds: an object lists integer-like keys first, in
 * numeric order, whatever the insertion order (`Object.keys` already gives them so), then the
 * other keys as inserted, i.e. sorted.
 */
function sortedKeys(record: Record<string, unknown>): string[] {
  const keys = Object.keys(record);
  let indices = 0;
  while (indices < keys.length && isIndex(keys[indices] as string)) indices++;
  if (indices === 0) return keys.sort();
  return keys.slice(0, indices).concat(keys.slice(indices).sort());
}

const isIndex = (key: string): boolean => /^(?:0|[1-9][0-9]{0,9})$/.test(key) && Number(key) < 4294967295;

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === "object" && !(value instanceof Date)) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = sortKeys(v);
    }
    return out;
  }
  return value;
}

/** One-shot hashing (`crypto.hash`, Node ≥ 20.12), else a Hash object. */
const digest: (algorithm: string, text: string, encoding: "hex" | "base64url") => string =
  typeof crypto.hash === "function"
    ? (algorithm, text, encoding) => crypto.hash(algorithm, text, encoding)
    : (algorithm, text, encoding) => crypto.createHash(algorithm).update(text).digest(encoding);

export function sha256(text: string): string {
  return digest("sha256", text, "hex");
}

interface ChecksummedCheckpoint {
  runId: string;
  stepId: string;
  identity: string;
  status: string;
  outputs: Record<string, unknown>;
}

/**
 * The checksum a checkpoint carries; recomputed on resume and by verify() to detect a checkpoint
 * changed outside stageflow (a damaged file, a hand edit). It guards against corruption, not
 * against an attacker who can write the file, so it is a fast 64-bit hash (`c1:` + 16 hex
 * digits) over the canonical JSON of (runId, stepId, identity, status, outputs): computed once
 * per step on the hot path, it costs a tenth of a sha256 through node:crypto.
 */
export function checkpointChecksum(c: ChecksummedCheckpoint): string {
  // The characters of canonicalJson([runId, stepId, identity, status, outputs]), hashed piece by
  // piece: each piece is a flat string, where the concatenation would be a rope that V8 reads
  // several times slower.
  const h = new Hash64();
  h.update("[");
  h.jsonString(c.runId);
  h.update(",");
  h.jsonString(c.stepId);
  h.update(",");
  h.jsonString(c.identity);
  h.update(",");
  h.jsonString(c.status);
  h.update(",");
  h.update(canonicalJson(c.outputs));
  h.update("]");
  return `c1:${h.digest()}`;
}

/**
 * 64 bits from two 32-bit multiply-xorshift lanes over the UTF-16 code units (cyrb53's mixing,
 * with both lanes kept whole), as 16 hex digits.
 */
export function hash64(text: string): string {
  const h = new Hash64();
  h.update(text);
  return h.digest();
}

/** An unsigned 32-bit value as 8 hex digits (a table lookup per byte: no number formatting). */
function hex32(n: number): string {
  return (
    (BYTE_HEX[(n >>> 24) & 0xff] as string) +
    (BYTE_HEX[(n >>> 16) & 0xff] as string) +
    (BYTE_HEX[(n >>> 8) & 0xff] as string) +
    (BYTE_HEX[n & 0xff] as string)
  );
}

/** hash64, fed in pieces: the same digest as hash64 of the pieces joined. */
class Hash64 {
  private h1 = 0xdeadbeef;
  private h2 = 0x41c6ce57;

  update(text: string): void {
    let { h1, h2 } = this;
    for (let i = 0; i < text.length; i++) {
      const ch = text.charCodeAt(i);
      h1 = Math.imul(h1 ^ ch, 2654435761);
      h2 = Math.imul(h2 ^ ch, 1597334677);
    }
    this.h1 = h1;
    this.h2 = h2;
  }

  /**
   * update(JSON.stringify(text)) without making that string when `text` holds nothing JSON
   * escapes (a quote, a backslash, a control character, a surrogate).
   */
  jsonString(text: string): void {
    const { h1: start1, h2: start2 } = this;
    let h1 = Math.imul(start1 ^ 0x22, 2654435761);
    let h2 = Math.imul(start2 ^ 0x22, 1597334677);
    for (let i = 0; i < text.length; i++) {
      const ch = text.charCodeAt(i);
      if (ch < 0x20 || ch === 0x22 || ch === 0x5c || (ch >= 0xd800 && ch <= 0xdfff)) {
        this.update(JSON.stringify(text));
        return;
      }
      h1 = Math.imul(h1 ^ ch, 2654435761);
      h2 = Math.imul(h2 ^ ch, 1597334677);
    }
    this.h1 = Math.imul(h1 ^ 0x22, 2654435761);
    this.h2 = Math.imul(h2 ^ 0x22, 1597334677);
  }

  digest(): string {
    let { h1, h2 } = this;
    h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
    h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
    h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
    h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
    return hex32(h2) + hex32(h1);
  }
}

/** The hash that makes a duplicate event a no-op: (runId, type, dedupeKey or payload). */
export function eventHash(e: { runId: string; type: string; payload: unknown; dedupeKey?: string }): string {
  // An event with a dedupe key is unique by construction: the key itself is its identity (no
  // hashing on the hot path; the journal's index is per run). Others: 128 bits of sha256 over the
  // canonical payload, in base64url.
  if (e.dedupeKey !== undefined) return `${e.type}|${e.dedupeKey}`;
  return digest("sha256", `${e.runId}\u0000${e.type}\u0000${canonicalJson(e.payload)}`, "base64url").slice(
    0,
    22,
  );
}
