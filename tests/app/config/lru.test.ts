import { describe, expect, it } from "vitest";
import { Lru } from "../../../src/app/config/lru.js";

describe("Lru", () => {
  it("forgets the least recently used entry beyond its count", () => {
    const lru = new Lru<number>(2);
    lru.set("a", 1);
    lru.set("b", 2);
    expect(lru.get("a")).toBe(1); // a is now the most recent
    lru.set("c", 3);
    expect([lru.get("a"), lru.get("b"), lru.get("c")]).toEqual([1, undefined, 3]);
  });

  it("bounds the total weight, and never keeps a value heavier than the bound", () => {
    const lru = new Lru<string>(10, (text) => text.length);
    lru.set("a", "xxxx");
    lru.set("b", "yyyy");
    lru.set("c", "zzzz");
    expect([lru.get("a"), lru.get("b"), lru.get("c")]).toEqual([undefined, "yyyy", "zzzz"]);
    lru.set("big", "x".repeat(11));
    expect(lru.get("big")).toBeUndefined();
    expect(lru.get("b")).toBe("yyyy");
    lru.delete("b");
    lru.set("d", "dddddd");
    expect([lru.get("b"), lru.get("c"), lru.get("d")]).toEqual([undefined, "zzzz", "dddddd"]);
  });
});
