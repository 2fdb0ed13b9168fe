import { createHash } from "node:crypto";

/** JSON with object keys sorted at every level: equal values give equal text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

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

export function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/** The checksum a checkpoint carries; recomputed on resume to detect corruption. */
export function checkpointChecksum(c: {
  runId: string;
  stepId: string;
  identity: string;
  status: string;
  outputs: Record<string, unknown>;
}): string {
  return sha256(canonicalJson([c.runId, c.stepId, c.identity, c.status, c.outputs]));
}

/** The hash that makes a duplicate event a no-op: (runId, type, dedupeKey or payload). */
export function eventHash(e: { runId: string; type: string; payload: unknown; dedupeKey?: string }): string {
  // An event with a dedupe key is unique by construction: the key itself is its identity (no
  // hashing on the hot path; the journal's index is per run). Others: 128 bits of sha256 over the
  // canonical payload, in base64url.
  if (e.dedupeKey !== undefined) return `${e.type}|${e.dedupeKey}`;
  return createHash("sha256")
    .update(`${e.runId}\u0000${e.type}\u0000${canonicalJson(e.payload)}`)
    .digest("base64url")
    .slice(0, 22);
}
