import { describe, expect, it } from "vitest";
import { parseWorkflow } from "../../../src/engine/definition/index.js";
import { fixture, kinds, problemLines, standInKinds } from "./helpers.js";

/** Builds a file whose lines hold `${{ }}` without fighting template literals. */
const file = (...lines: string[]) => `${lines.join("\n").replaceAll("{{", "${{")}\n`;

describe("references in expressions", () => {
  it("checks step ids, order, outputs, inputs and syntax, each at its value", () => {
    expect(problemLines(fixture("references.yml"), "references.yml")).toEqual([
      "references.yml:10:13 stages[0].steps[1].id: duplicate step id 'check' (also stages[0].steps[0]; step ids are unique across the workflow)",
      "references.yml:16:14 stages[1].steps[0].run: step 'check' has no output 'versoin' (did you mean 'version'? it has: version)",
      "references.yml:18:14 stages[1].steps[1].run: step 'linux' runs in parallel with this step (stage 'build' is parallel); move it to an earlier stage",
      "references.yml:21:16 stages[1].steps[2].http.url: unknown step 'nope'",
      "references.yml:22:22 stages[1].steps[2].http.body.v: unknown input 'verison' (did you mean 'version'?)",
      "references.yml:24:18 stages[1].steps[2].env.LATER: step 'publish' runs later, in stage 'publish'",
      "references.yml:26:9 stages[2].if: stage 'publish' decides its condition before step 'publish' runs",
      "references.yml:29:14 stages[2].steps[0].run: invalid expression 'inputs.version )': unexpected token ')' at column 16",
    ]);
  });

  it("accepts earlier stages and earlier steps of a sequential stage", () => {
    const text = file(
      "name: ok",
      "inputs: { version: { type: string } }",
      "stages:",
      "  - id: one",
      "    steps:",
      "      - { id: a, run: make, outputs: [v] }",
      "      - { id: b, run: 'echo {{ steps.a.outputs.v }}', if: steps.a.outcome == 'success' }",
      "  - id: two",
      "    if: '{{ steps.b.outcome }}'",
      "    steps:",
      "      - { id: c, run: 'echo {{ steps.a.outputs.v }} {{ inputs.version }}' }",
    );
    expect(parseWorkflow(text, { kinds }).stages[1]?.if).toBe("steps.b.outcome");
  });

  it("reports later siblings of a sequential stage, own results and unknown names", () => {
    const text = file(
      "name: x",
      "stages:",
      "  - id: one",
      "    steps:",
      "      - { id: a, run: 'echo {{ steps.b.outputs.v }}' }",
      "      - { id: b, run: 'echo {{ steps.b.outcome }}' }",
      "      - { id: c, run: 'echo {{ step.a.outputs.v }}' }",
      "      - { id: d, run: 'echo {{ steps.a.outcom }}', if: '{{ a }} && {{ b }}' }",
    );
    expect(problemLines(text)).toEqual([
      "test.yml:5:23 stages[0].steps[0].run: step 'b' runs after this step in stage 'one'",
      "test.yml:6:23 stages[0].steps[1].run: step 'b' cannot read its own results",
      "test.yml:7:23 stages[0].steps[2].run: unknown name 'step' (did you mean 'steps'? known: inputs, steps, run, workflow, env)",
      "test.yml:8:23 stages[0].steps[3].run: steps.a has no 'outcom' (did you mean 'outcome'? known: outputs, outcome)",
      "test.yml:8:57 stages[0].steps[3].if: a condition is one expression: write it bare, or wrap all of it in '$" +
        "{{ }}'",
    ]);
  });

  it("checks outputs against the kind's fixed outputs, and inputs when none are declared", () => {
    const withOutputs = standInKinds(["run", "http"], { http: { outputs: ["status", "body"] } });
    const text = file(
      "name: x",
      "stages:",
      "  - id: one",
      "    steps: [{ id: call, http: { url: 'https://x' } }]",
      "  - id: two",
      "    steps: [{ id: use, run: 'echo {{ steps.call.outputs.stauts }} {{ inputs.v }}' }]",
    );
    expect(problemLines(text, "test.yml", withOutputs)).toEqual([
      "test.yml:6:29 stages[1].steps[0].run: step 'call' has no output 'stauts' (did you mean 'status'? it has: status, body)",
      "test.yml:6:29 stages[1].steps[0].run: unknown input 'v' (the workflow declares no inputs)",
    ]);
  });

  it("reports a missing '}}' and syntax errors in with: and conditions", () => {
    const text = file(
      "name: x",
      "stages:",
      "  - id: one",
      "    if: inputs.a ==",
      "    steps:",
      "      - id: s",
      "        run: make",
      "        with: { list: [ok, 'x {{ inputs.a'] }",
    );
    expect(problemLines(text)).toEqual([
      "test.yml:4:9 stages[0].if: invalid expression 'inputs.a ==': unexpected end of expression at column 12",
      "test.yml:8:28 stages[0].steps[0].with.list[1]: invalid expression: missing '}}' to close '${{' at column 3",
    ]);
  });
});
