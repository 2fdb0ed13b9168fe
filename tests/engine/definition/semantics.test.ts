import { describe, expect, it } from "vitest";
import { problemLines, yaml } from "./helpers.js";

describe("checks beyond the schema", () => {
  it("reports duplicate stage ids and step ids across stages", () => {
    const text = yaml(
      "name: x",
      "stages:",
      "  - id: build",
      "    steps: [{ id: compile, run: make }]",
      "  - id: build",
      "    steps: [{ id: compile, run: make again }]",
    );
    expect(problemLines(text)).toEqual([
      "test.yml:5:9 stages[1].id: duplicate stage id 'build' (also stages[0])",
      "test.yml:6:19 stages[1].steps[0].id: duplicate step id 'compile' (also stages[0].steps[0]; step ids are unique across the workflow)",
    ]);
  });

  it("checks input defaults against the input type and choice options", () => {
    const text = yaml(
      "name: x",
      "inputs:",
      "  dry_run: { type: boolean, default: 'no' }",
      "  count: { type: number, default: true }",
      "  env: { type: choice }",
      "  region: { type: choice, options: [eu, us], default: asia }",
      "  note: { options: [a] }",
      "  level: { type: int }",
      "stages:",
      "  - id: a",
      "    steps: [{ id: s, run: make }]",
    );
    expect(problemLines(text)).toEqual([
      "test.yml:3:38 inputs.dry_run.default: default of a boolean input must be a boolean, got string 'no'",
      "test.yml:4:35 inputs.count.default: default of a number input must be a number, got boolean true",
      "test.yml:5:8 inputs.env: a choice input needs 'options'",
      "test.yml:6:55 inputs.region.default: 'asia' is not one of eu, us",
      "test.yml:7:11 inputs.note: 'options' applies only to type choice, not string",
      "test.yml:8:18 inputs.level.type: expected one of string, number, boolean, choice, got string 'int'",
    ]);
  });

  it("requires warn_after below timeout and concurrency only on parallel stages", () => {
    const text = yaml(
      "name: x",
      "stages:",
      "  - id: a",
      "    timeout: 5m",
      "    warn_after: 300s",
      "    concurrency: 2",
      "    steps: [{ id: s, run: make }]",
      "  - id: b",
      "    mode: parallel",
      "    concurrency: 0",
      "    steps: [{ id: t, run: make }]",
    );
    expect(problemLines(text)).toEqual([
      "test.yml:5:17 stages[0].warn_after: warn_after (300s) must be shorter than timeout (5m)",
      "test.yml:6:18 stages[0].concurrency: concurrency applies to parallel stages: add 'mode: parallel' or remove it",
      "test.yml:10:18 stages[1].concurrency: must be at least 1, got number 0",
    ]);
  });

  it("rejects unknown top-level keys but accepts the reserved sections loosely", () => {
    const text = yaml(
      "name: x",
      "recovery: []",
      "sla: { p95_duration: 15m }",
      "baselines: { a: 8m }",
      "alerts: [{ channel: slack }]",
      "triggers: {}",
      "stages: [{ id: a, steps: [{ id: s, run: make }] }]",
    );
    expect(problemLines(text)).toEqual(["test.yml:6:1 (root): unknown key 'triggers'"]);
  });

  it("rejects ids that would reach object prototypes", () => {
    const text = yaml(
      "name: x",
      "inputs: { constructor: {} }",
      "stages: [{ id: a, steps: [{ id: __proto__, run: make }] }]",
    );
    expect(problemLines(text)).toEqual([
      "test.yml:2:11 inputs: invalid name 'constructor': 'constructor' is a reserved name",
      "test.yml:3:33 stages[0].steps[0].id: '__proto__' is a reserved name",
    ]);
  });

  it("rejects reserved sections of the wrong shape", () => {
    const text = yaml("name: x", "recovery: { id: r }", "stages: [{ id: a, steps: [{ id: s, run: make }] }]");
    expect(problemLines(text)).toEqual(["test.yml:2:11 recovery: expected a list, got a mapping"]);
  });
});
