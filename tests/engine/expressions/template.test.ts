import { describe, expect, it } from "vitest";
import { interpolate, type Scope, templateParts } from "../../../src/engine/expressions/index.js";

const scope: Scope = {
  inputs: { version: "1.2.3", count: 3, dry_run: false, nothing: null, obj: { a: 1 } },
  steps: { check: { outputs: { sha: "abc" }, outcome: "success" } },
};
/** `${{` without a template literal fighting it. */
const t = (text: string) => text.replaceAll("{{", "${{");

describe("templateParts", () => {
  it("splits literal and expression parts, trimming expressions and keeping their offsets", () => {
    expect(templateParts(t("v{{ inputs.version }} and {{inputs.count}}!"))).toEqual([
      { type: "literal", value: "v" },
      { type: "expression", text: "inputs.version", offset: 5 },
      { type: "literal", value: " and " },
      { type: "expression", text: "inputs.count", offset: 30 },
      { type: "literal", value: "!" },
    ]);
    expect(templateParts("plain")).toEqual([{ type: "literal", value: "plain" }]);
    expect(templateParts("")).toEqual([]);
  });

  it("does not end an expression at '}}' inside a quoted string", () => {
    expect(templateParts(t("{{ format('{0}}}', 1) }}"))).toEqual([
      { type: "expression", text: "format('{0}}}', 1)", offset: 4 },
    ]);
  });

  it("reports a missing '}}' at the opening '${{'", () => {
    expect(() => templateParts(t("echo {{ inputs.version"))).toThrow(
      "missing '}}' to close '${{' at column 6",
    );
  });
});

describe("interpolate", () => {
  it("yields the raw value for a string that is exactly one expression", () => {
    expect(interpolate(t("{{ inputs.count }}"), scope)).toBe(3);
    expect(interpolate(t("{{ inputs.dry_run }}"), scope)).toBe(false);
    expect(interpolate(t("{{ inputs.obj }}"), scope)).toEqual({ a: 1 });
  });

  it("concatenates text otherwise, with null as '' and objects as JSON", () => {
    expect(interpolate(t("v{{ inputs.version }} x{{ inputs.count }}"), scope)).toBe("v1.2.3 x3");
    expect(interpolate(t("[{{ inputs.nothing }}]"), scope)).toBe("[]");
    expect(interpolate(t(" {{ inputs.count }}"), scope)).toBe(" 3");
    expect(interpolate(t("o={{ inputs.obj }} b={{ inputs.dry_run }}"), scope)).toBe('o={"a":1} b=false');
  });

  it("walks arrays and objects and leaves other values alone", () => {
    const value = {
      url: t("https://x/{{ steps.check.outputs.sha }}"),
      list: [t("{{ inputs.count }}"), 7, null, true],
      nested: { keep: "as is", n: t("{{ inputs.count }}") },
    };
    expect(interpolate(value, scope)).toEqual({
      url: "https://x/abc",
      list: [3, 7, null, true],
      nested: { keep: "as is", n: 3 },
    });
    expect(value.url).toBe(t("https://x/{{ steps.check.outputs.sha }}"));
  });

  it("lets evaluation errors through", () => {
    expect(() => interpolate(t("{{ steps.check.outputs.nope }}"), scope)).toThrow("has no output 'nope'");
  });

  it("copies maps key by key, keeping a literal __proto__ key as data, not as a prototype", () => {
    const value = JSON.parse(
      '{"a":"${{ inputs.x }}","__proto__":{"polluted":true},"n":[1,"${{ inputs.x }}"]}',
    );
    const out = interpolate(value, { inputs: { x: 7 }, steps: {} } as never) as Record<string, unknown>;
    expect(Object.keys(out)).toEqual(["a", "__proto__", "n"]);
    expect(out.a).toBe(7);
    expect(out.n).toEqual([1, 7]);
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(out).not.toBe(value);
  });
});
