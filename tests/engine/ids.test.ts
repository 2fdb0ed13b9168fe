import { describe, expect, it } from "vitest";
import { uuidv7 } from "../../src/engine/ids.js";

describe("uuidv7", () => {
  it("is an RFC 9562 version 7 UUID carrying the given millisecond", () => {
    const at = Date.UTC(2026, 10, 23, 13, 0, 0, 123);
    const id = uuidv7(at);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(Number.parseInt(id.replace(/-/g, "").slice(0, 12), 16)).toBe(at);
  });

  it("sorts by creation time and does not repeat across many ids (the random pool refills)", () => {
    const ids = Array.from({ length: 5_000 }, (_, i) => uuidv7(1_700_000_000_000 + i));
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
    const sameMs = Array.from({ length: 1_000 }, () => uuidv7(1_700_000_000_000));
    expect(new Set(sameMs).size).toBe(sameMs.length);
  });
});
