import { describe, expect, it } from "vitest";
import { compileWorkflow, resolveInputs } from "../../../src/engine/definition/index.js";
import { InputError } from "../../../src/engine/errors.js";
import { kinds } from "./helpers.js";

const plan = compileWorkflow(
  {
    name: "inputs",
    inputs: {
      version: { type: "string", required: true },
      dry_run: { type: "boolean", default: false },
      count: { type: "number" },
      env: { type: "choice", options: ["staging", "production"], default: "staging" },
      note: { description: "optional, no default" },
    },
    stages: [{ id: "a", steps: [{ id: "s", run: "make" }] }],
  },
  { kinds },
);

function inputError(given: Record<string, unknown>): InputError {
  try {
    resolveInputs(plan, given);
  } catch (e) {
    if (e instanceof InputError) return e;
    throw e;
  }
  throw new Error("expected an InputError");
}

describe("resolveInputs", () => {
  it("coerces CLI strings and applies defaults", () => {
    expect(
      resolveInputs(plan, { version: "1.2.3", dry_run: "true", count: " 42 ", env: "production" }),
    ).toEqual({
      version: "1.2.3",
      dry_run: true,
      count: 42,
      env: "production",
    });
    expect(resolveInputs(plan, { version: 2, count: 1.5, dry_run: false })).toEqual({
      version: "2",
      dry_run: false,
      count: 1.5,
      env: "staging",
    });
  });

  it("names a missing required input", () => {
    const error = inputError({});
    expect(error.reason).toBe("invalid_input");
    expect(error.message).toBe("missing required input 'version'");
  });

  it("collects wrong types, invalid choices and unknown inputs", () => {
    const error = inputError({
      version: "1",
      dry_run: "yes",
      count: "many",
      env: "prod",
      verison: "1",
      zzz: 1,
    });
    expect(error.issues).toEqual([
      "unknown input 'verison' (did you mean 'version'?)",
      "unknown input 'zzz' (declared: version, dry_run, count, env, note)",
      "input 'dry_run': expected a boolean ('true' or 'false'), got string 'yes'",
      "input 'count': expected a number, got string 'many'",
      "input 'env': string 'prod' is not one of staging, production",
    ]);
    expect(error.message).toBe(error.issues.join("\n"));
  });

  it("rejects empty strings for numbers and objects for strings", () => {
    expect(inputError({ version: { v: 1 }, count: "" }).issues).toEqual([
      "input 'version': expected a string, got a mapping",
      "input 'count': expected a number, got string ''",
    ]);
  });

  it("suggests the closest choice", () => {
    expect(inputError({ version: "1", env: "prodution" }).message).toBe(
      "input 'env': string 'prodution' is not one of staging, production (did you mean 'production'?)",
    );
  });

  it("names a secret input that is wrong, never its value", () => {
    const secret = compileWorkflow(
      {
        name: "s",
        inputs: {
          pin: { type: "number", secret: true },
          tier: { type: "choice", options: ["gold", "silver"], secret: true },
          flag: { type: "boolean", secret: true },
        },
        stages: [{ id: "a", steps: [{ id: "s", run: "x" }] }],
      },
      { kinds },
    );
    const long = `hunter2-${"x".repeat(80)}`; // longer than a described value is clipped to
    let error: unknown;
    try {
      resolveInputs(secret, { pin: long, tier: "golld-secret-value", flag: "yes-secret-value" });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).issues).toEqual([
      "input 'pin': expected a number, got a secret string (not shown)",
      "input 'tier': a secret string (not shown) is not one of gold, silver",
      "input 'flag': expected a boolean ('true' or 'false'), got a secret string (not shown)",
    ]);
    expect((error as InputError).message).not.toMatch(/hunter2|golld|yes-secret/);
  });

  it("knows when the workflow declares no inputs", () => {
    const bare = compileWorkflow(
      { name: "b", stages: [{ id: "a", steps: [{ id: "s", run: "x" }] }] },
      { kinds },
    );
    expect(() => resolveInputs(bare, { x: "1" })).toThrow(
      "unknown input 'x' (the workflow declares no inputs)",
    );
    expect(resolveInputs(bare, {})).toEqual({});
  });
});
