/**
 * A run's key and metadata as the host gives them at start (StartOptions): checked before anything
 * is recorded, so bad input is an InputError naming the field and the journal holds plain JSON.
 */
import { canonicalJson } from "./canonical.js";
import { InputError } from "./errors.js";
import type { RunInfo } from "./handler.js";
import type { RunMetadata, RunRecord } from "./journal.js";

/** The largest metadata accepted: its JSON, keys sorted, in UTF-8 bytes. */
export const MAX_METADATA_BYTES = 16 * 1024;
/** The longest key accepted, in characters. */
export const MAX_KEY_LENGTH = 512;

const bad = (field: string, message: string): InputError =>
  new InputError("invalid_input", `${field}: ${message}`);

/** The key of StartOptions, or null for none. Throws InputError (`key: ...`). */
export function checkRunKey(key: unknown): string | null {
  if (key === undefined || key === null) return null;
  if (typeof key !== "string" || key.length === 0 || key.length > MAX_KEY_LENGTH) {
    const got = typeof key === "string" ? `${key.length} characters` : typeof key;
    throw bad("key", `must be a non-empty string of at most ${MAX_KEY_LENGTH} characters, got ${got}`);
  }
  return key;
}

/**
 * The metadata of StartOptions as the run records it: a plain JSON object (strings, finite
 * numbers, booleans, null, lists and plain objects; a property set to `undefined` is left out, as
 * JSON does), at most MAX_METADATA_BYTES as JSON; `{}` when none. Returns a copy, keys sorted.
 * Throws InputError naming the field (`metadata.pr.head: ...`).
 */
export function checkRunMetadata(metadata: unknown): RunMetadata {
  if (metadata === undefined || metadata === null) return {};
  if (!isPlainObject(metadata)) {
    throw bad("metadata", `must be a plain JSON object, got ${describe(metadata)}`);
  }
  checkJson(metadata, "metadata", new Set());
  const text = canonicalJson(metadata);
  const bytes = Buffer.byteLength(text, "utf8");
  if (bytes > MAX_METADATA_BYTES) {
    throw bad("metadata", `is ${bytes} bytes of JSON; at most ${MAX_METADATA_BYTES} are kept with a run`);
  }
  return JSON.parse(text) as RunMetadata;
}

/**
 * The run as its handlers see it, frozen (its metadata deeply), so no step can change what another
 * one reads. Freezes `run.metadata` itself: pass an object nobody else writes (a fresh copy).
 */
export function runInfo(run: Pick<RunRecord, "id" | "workflow" | "key" | "metadata">): RunInfo {
  return Object.freeze({
    id: run.id,
    workflow: run.workflow,
    key: run.key,
    metadata: deepFreeze(run.metadata),
  });
}

function checkJson(value: unknown, path: string, ancestors: Set<object>): void {
  switch (typeof value) {
    case "string":
    case "boolean":
      return;
    case "number":
      if (!Number.isFinite(value)) throw bad(path, `must be a finite number, got ${value}`);
      return;
    case "object": {
      if (value === null) return;
      if (ancestors.has(value)) throw bad(path, "refers back to itself (circular)");
      ancestors.add(value);
      if (Array.isArray(value)) {
        value.forEach((item, i) => {
          if (item === undefined) throw bad(`${path}[${i}]`, "must be JSON, got undefined");
          checkJson(item, `${path}[${i}]`, ancestors);
        });
      } else if (isPlainObject(value)) {
        for (const [name, item] of Object.entries(value)) {
          if (item !== undefined) checkJson(item, `${path}.${name}`, ancestors);
        }
      } else {
        throw bad(path, `must be JSON (a plain object, a list or a value), got ${describe(value)}`);
      }
      ancestors.delete(value);
      return;
    }
    default:
      throw bad(path, `must be JSON, got ${describe(value)}`);
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return `an instance of ${value.constructor?.name ?? "an unknown class"}`;
  return typeof value;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null) {
    for (const item of Object.values(value)) deepFreeze(item);
    Object.freeze(value);
  }
  return value;
}
