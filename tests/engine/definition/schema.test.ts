import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseDuration } from "../../../src/engine/definition/durations.js";
import { Duration } from "../../../src/engine/definition/fields.js";
import { workflowJsonSchema, workflowJsonSchemaText } from "../../../src/engine/definition/json-schema.js";
import { closest, didYouMean, levenshtein } from "../../../src/engine/definition/suggest.js";

type Json = Record<string, unknown>;
const at = (schema: unknown, ...keys: string[]) =>
  keys.reduce((node, key) => (node as Json)[key], schema) as Json;

describe("the JSON Schema", () => {
  it("is committed up to date (npm run schema)", () => {
    const committed = readFileSync(new URL("../../../schema/workflow.schema.json", import.meta.url), "utf8");
    expect(committed).toBe(workflowJsonSchemaText());
  });

  it("names itself, closes objects, and leaves the step's kind key open", () => {
    const schema = workflowJsonSchema();
    expect(schema.$id).toBe("https://stageflow.dev/schema/workflow.schema.json");
    expect(schema.title).toBe("stageflow workflow");
    expect(schema.additionalProperties).toBe(false);
    expect(schema.required).toEqual(["name", "stages"]);
    const stage = at(schema, "properties", "stages", "items");
    expect(stage.additionalProperties).toBe(false);
    const step = at(stage, "properties", "steps", "items");
    expect(step.additionalProperties).toEqual({ description: expect.stringContaining("step kind") });
    expect(at(step, "properties", "id").description).toContain("Unique across the whole workflow");
  });
});

describe("durations", () => {
  it("the schema accepts exactly what parseDuration understands", () => {
    for (const value of [
      "500ms",
      "30s",
      "5m",
      "1h",
      "1d",
      "1.5s",
      " 2m ",
      0,
      1500,
      "5 m",
      "soon",
      "5",
      -1,
      "1w",
      true,
    ]) {
      expect(Duration.safeParse(value).success, JSON.stringify(value)).toBe(
        parseDuration(value) !== undefined,
      );
    }
  });
});

describe("suggestions", () => {
  it("measures edit distance", () => {
    expect(levenshtein("retires", "retry")).toBe(3);
    expect(levenshtein("mdoe", "mode")).toBe(2);
    expect(levenshtein("", "abc")).toBe(3);
  });

  it("scales the tolerance with the word and ignores case", () => {
    expect(closest("retires", ["retry", "timeout"])).toBe("retry");
    expect(closest("gh", ["id", "if"])).toBeUndefined();
    expect(closest("Timeout", ["timeout"])).toBe("timeout");
    expect(didYouMean("zzzzzz", ["retry"])).toBe("");
    expect(didYouMean("htp", ["http", "run"])).toBe(" (did you mean 'http'?)");
  });
});
