import { describe, expect, it } from "vitest";
import { InputError } from "../../../src/engine/errors.js";
import { evaluateExpression, parseExpression, type Scope } from "../../../src/engine/expressions/index.js";

const scope: Scope = {
  inputs: { version: "1.2.3", dry_run: false, count: 3, tags: ["a", "B"], obj: { k: "v" }, empty: "" },
  steps: {
    check: { outputs: { a: "1", b: "yes" }, outcome: "success" },
    quiet: { outputs: {}, outcome: "skipped" },
  },
  run: { id: "r1", correlation_id: "c1" },
  workflow: { name: "release" },
  env: { HOME: "/home/me" },
};
const ev = (text: string, s: Scope = scope) => evaluateExpression(text, s);

describe("evaluateExpression", () => {
  it("reads every scope root", () => {
    expect(ev("inputs.version")).toBe("1.2.3");
    expect(ev("steps.check.outputs.a")).toBe("1");
    expect(ev("steps.check.outcome")).toBe("success");
    expect(ev("run.correlation_id")).toBe("c1");
    expect(ev("workflow.name")).toBe("release");
    expect(ev("env.HOME")).toBe("/home/me");
    expect(ev("inputs.tags[1]")).toBe("B");
    expect(ev("inputs['obj']['k']")).toBe("v");
    expect(ev("inputs.missing")).toBeNull();
    expect(ev("env.HOME", { inputs: {}, steps: {} })).toBeNull();
  });

  it("accepts a parsed tree as well as text", () => {
    expect(evaluateExpression(parseExpression("inputs.count"), scope)).toBe(3);
  });

  it("returns operand values from && and ||, and short-circuits", () => {
    expect(ev("inputs.empty || 'fallback'")).toBe("fallback");
    expect(ev("inputs.version && inputs.count")).toBe(3);
    expect(ev("inputs.dry_run && steps.check.outputs.nope")).toBe(false);
    expect(ev("inputs.count || steps.check.outputs.nope")).toBe(3);
    expect(ev("!inputs.dry_run")).toBe(true);
    expect(ev("!inputs.tags")).toBe(false);
  });

  it("compares like GitHub Actions: strings ignore case, mixed types become numbers", () => {
    expect(ev("steps.check.outcome == 'SUCCESS'")).toBe(true);
    expect(ev("inputs.count == '3'")).toBe(true);
    expect(ev("inputs.count != 3")).toBe(false);
    expect(ev("true == 1")).toBe(true);
    expect(ev("null == 0")).toBe(true);
    expect(ev("'' == 0")).toBe(true);
    expect(ev("'abc' == 0")).toBe(false);
    expect(ev("inputs.obj == inputs.obj")).toBe(true);
    expect(ev("inputs.obj == 'v'")).toBe(false);
    expect(ev("inputs.count > 2 && inputs.count <= 3")).toBe(true);
    expect(ev("'b' > 'A'")).toBe(true);
    expect(ev("'abc' < 1")).toBe(false);
    expect(ev("inputs.tags < 1")).toBe(false);
  });

  it("runs the built-in functions", () => {
    expect(ev("contains(inputs.tags, 'b')")).toBe(true);
    expect(ev("contains(inputs.version, '2.3')")).toBe(true);
    expect(ev("contains('Hello', 'LL')")).toBe(true);
    expect(ev("startsWith(inputs.version, '1.')")).toBe(true);
    expect(ev("endsWith('release.yml', '.YML')")).toBe(true);
    expect(ev("format('{0}-{1} {{x}}', inputs.version, inputs.count)")).toBe("1.2.3-3 {x}");
    expect(ev("join(inputs.tags, ', ')")).toBe("a, B");
    expect(ev("join(inputs.tags)")).toBe("a,B");
    expect(ev("join('solo')")).toBe("solo");
    expect(ev("toJSON(inputs.obj)")).toBe('{\n  "k": "v"\n}');
    expect(ev("fromJSON('{\"n\": [1, true]}').n[1]")).toBe(true);
  });

  it("reports bad format() and fromJSON() arguments at the call", () => {
    expect(() => ev("format('{1}', 'a')")).toThrow("format(): '{1}' has no argument (got 1) at column 1");
    expect(() => ev("format('{', 'a')")).toThrow("format(): unmatched '{' in '{' at column 1");
    expect(() => ev("inputs.count == fromJSON('nope')")).toThrow(/^fromJSON\(\): .* at column 17$/);
  });

  it("says where fromJSON()'s text stops being JSON without quoting any of it (it may be a secret)", () => {
    const creds = '{"Qz7":"Wv3K","Jp9":Xr5-hunter2-M8d}';
    const s: Scope = { inputs: { creds }, steps: {} };
    expect(() => ev("fromJSON(inputs.creds).Qz7", s)).toThrow(
      "fromJSON(): invalid JSON (at position 20: expected a value) at column 1",
    );
    expect(() =>
      ev("fromJSON(inputs.creds)", { inputs: { creds: '{\n  "a": 1\n  "b": 2\n}' }, steps: {} }),
    ).toThrow("fromJSON(): invalid JSON (at line 3, column 3: expected ',' or '}') at column 1");
  });

  it("throws unknown_output naming the outputs a step has", () => {
    const error = (() => {
      try {
        ev("steps.check.outputs.version");
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(InputError);
    expect(error).toMatchObject({
      reason: "unknown_output",
      message: "steps.check.outputs.version: step 'check' has no output 'version' (it has: a, b)",
    });
    expect(() => ev("steps['quiet'].outputs['x']")).toThrow(
      "steps.quiet.outputs.x: step 'quiet' has no output 'x' (it has none)",
    );
    expect(ev("steps.never.outputs.x")).toBeNull();
  });

  it("throws on an unknown root name", () => {
    expect(() => ev("inputs.count == foo.bar")).toThrow(
      "unknown name 'foo' (known: inputs, steps, run, workflow, env) at column 17",
    );
  });

  it("never reaches prototypes or code", () => {
    expect(ev("inputs.constructor")).toBeNull();
    expect(ev("inputs['__proto__']")).toBeNull();
    expect(ev("inputs.obj.constructor.name")).toBeNull();
    expect(ev("inputs.version.length")).toBeNull();
    expect(ev("inputs.tags.length")).toBeNull();
    expect(ev("inputs.tags['constructor']")).toBeNull();
    expect(
      ev("steps.check.outputs.hasOwnProperty", {
        inputs: {},
        steps: { check: { outputs: { hasOwnProperty: 1 }, outcome: "success" } },
      }),
    ).toBe(1);
    expect(() => ev("steps.check.outputs.toString")).toThrow("step 'check' has no output 'toString'");
    const parsed = ev('fromJSON(\'{"__proto__": {"polluted": true}}\')') as Record<string, unknown>;
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.hasOwn(parsed, "__proto__")).toBe(true);
  });
});
