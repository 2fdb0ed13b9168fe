import { describe, expect, it } from "vitest";
import { findReferences, rootNames } from "../../../src/engine/expressions/index.js";

describe("findReferences", () => {
  it("finds step outputs, step properties and inputs written literally", () => {
    expect(
      findReferences(
        "steps.check.outputs.version == inputs.version && steps['b'].outcome == 'success' || toJSON(steps.c)",
      ),
    ).toEqual([
      { kind: "steps", step: "check", output: "version", offset: 0 },
      { kind: "inputs", name: "version", offset: 31 },
      { kind: "steps", step: "b", property: "outcome", offset: 49 },
      { kind: "steps", step: "c", offset: 91 },
    ]);
  });

  it("looks inside computed keys and skips dynamic names", () => {
    expect(findReferences("steps[inputs.which].outputs.x")).toEqual([
      { kind: "inputs", name: "which", offset: 6 },
    ]);
    expect(findReferences("steps.a.outputs[inputs.k]")).toEqual([
      { kind: "steps", step: "a", offset: 0 },
      { kind: "inputs", name: "k", offset: 16 },
    ]);
    expect(findReferences("inputs")).toEqual([]);
  });

  it("lists root names, known or not", () => {
    expect(rootNames("foo.bar || contains(env.X, run.id)").map((r) => r.name)).toEqual(["foo", "env", "run"]);
  });
});
