import { describe, expect, it } from "vitest";
import { canonicalJson, checkpointChecksum, hash64, sha256 } from "../../src/engine/canonical.js";
import { seededRandom } from "../../src/engine/ports.js";

/** The definition canonicalJson must keep: stored checksums and definition hashes depend on it. */
function reference(value: unknown): string {
  const sortKeys = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sortKeys);
    if (v && typeof v === "object" && !(v instanceof Date)) {
      const out: Record<string, unknown> = {};
      for (const key of Object.keys(v).sort()) {
        const x = (v as Record<string, unknown>)[key];
        if (x !== undefined) out[key] = sortKeys(x);
      }
      return out;
    }
    return v;
  };
  return JSON.stringify(sortKeys(value));
}

const random = seededRandom(42);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random.next() * xs.length)] as T;
const ATOMS: unknown[] = [
  0,
  -0,
  1.5,
  -7,
  1e21,
  2 ** 53,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  "",
  "héllo",
  'a"b\\c\n',
  "\u2028",
  "\ud800",
  true,
  false,
  null,
  undefined,
  new Date(0),
  () => 1,
];
const KEYS = [
  "b",
  "a",
  "10",
  "2",
  "0",
  "01",
  "4294967294",
  "4294967295",
  "-1",
  "1.5",
  "é",
  "",
  "z z",
  "toJSON",
];

function value(depth: number): unknown {
  const r = random.next();
  if (depth <= 0 || r < 0.4) return pick(ATOMS);
  if (r < 0.7) return Array.from({ length: Math.floor(random.next() * 4) }, () => value(depth - 1));
  const o: Record<string, unknown> = random.next() < 0.1 ? Object.create(null) : {};
  for (let i = Math.floor(random.next() * 5); i > 0; i--) o[pick(KEYS)] = value(depth - 1);
  return o;
}

describe("canonicalJson", () => {
  it("gives exactly the text of the sort-then-stringify definition, over 5,000 random values", () => {
    for (let i = 0; i < 5_000; i++) {
      const v = value(4);
      expect(canonicalJson(v)).toBe(reference(v));
    }
  });

  it("sorts keys at every level and drops undefined members", () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { y: 2, x: undefined }], c: null } })).toBe(
      '{"a":{"c":null,"d":[1,{"y":2}]},"b":1}',
    );
  });

  it("checksums a checkpoint with 64 bits over its canonical JSON, sensitive to every field", () => {
    const cp = {
      runId: "r1",
      stepId: "build",
      identity: "id-1",
      status: "succeeded",
      outputs: { v: "1.2.3", n: 3 },
    };
    const checksum = checkpointChecksum(cp);
    expect(checksum).toBe(`c1:${hash64('["r1","build","id-1","succeeded",{"n":3,"v":"1.2.3"}]')}`);
    expect(checksum).toMatch(/^c1:[0-9a-f]{16}$/);
    // Key order does not matter; any change of content does.
    expect(checkpointChecksum({ ...cp, outputs: { n: 3, v: "1.2.3" } })).toBe(checksum);
    const changed = [
      { ...cp, runId: "r2" },
      { ...cp, stepId: "buil" },
      { ...cp, identity: "id-2" },
      { ...cp, status: "failed" },
      { ...cp, outputs: { v: "1.2.4", n: 3 } },
      { ...cp, outputs: { v: "1.2.3", n: 3, extra: null } },
    ].map(checkpointChecksum);
    expect(new Set([checksum, ...changed]).size).toBe(changed.length + 1);
  });

  it("hashes exactly the canonical JSON text, whatever characters the fields hold", () => {
    for (const odd of [
      "plain",
      'q"uote',
      "back\\slash",
      "new\nline",
      "\u0001",
      "lone \ud800",
      "pair 😀",
      "é\u2028",
    ]) {
      const cp = {
        runId: `r-${odd}`,
        stepId: odd,
        identity: "id",
        status: "succeeded",
        outputs: { [odd]: odd },
      };
      const text = canonicalJson([cp.runId, cp.stepId, cp.identity, cp.status, cp.outputs]);
      expect(checkpointChecksum(cp)).toBe(`c1:${hash64(text)}`);
    }
  });

  it("knows one format: a checksum in any other format (e.g. a bare sha256) does not match", () => {
    const cp = { runId: "r1", stepId: "build", identity: "id-1", status: "succeeded", outputs: { v: "1" } };
    const sha = sha256('["r1","build","id-1","succeeded",{"v":"1"}]');
    expect(checkpointChecksum(cp)).toMatch(/^c1:[0-9a-f]{16}$/);
    expect(checkpointChecksum(cp)).not.toBe(sha);
  });

  it("hash64 is the two cyrb53 lanes, whole, as 16 hex digits (pinned: stored checksums depend on it)", () => {
    const reference = (text: string): string => {
      let h1 = 0xdeadbeef;
      let h2 = 0x41c6ce57;
      for (let i = 0; i < text.length; i++) {
        const ch = text.charCodeAt(i);
        h1 = Math.imul(h1 ^ ch, 2654435761);
        h2 = Math.imul(h2 ^ ch, 1597334677);
      }
      h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
      h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
      h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
      h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
      return (h2 >>> 0).toString(16).padStart(8, "0") + (h1 >>> 0).toString(16).padStart(8, "0");
    };
    for (const text of ["", "a", "stageflow", "é😀\u0000", "x".repeat(1000)])
      expect(hash64(text)).toBe(reference(text));
  });

  it("spreads hash64 over its output space (no collisions among 100,000 similar texts)", () => {
    const seen = new Set<string>();
    for (let i = 0; i < 100_000; i++) seen.add(hash64(`["run-${i}","step",{"n":${i % 7}}]`));
    expect(seen.size).toBe(100_000);
  });
});
