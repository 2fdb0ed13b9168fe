import { describe, expect, it } from "vitest";
import { compileWorkflow, parseWorkflow, WorkflowError } from "../../../src/engine/definition/index.js";
import { InputError } from "../../../src/engine/errors.js";
import { fixture, kinds, problemLines, workflowError, yaml } from "./helpers.js";

describe("workflow file errors", () => {
  it("reports malformed YAML with yaml's own message and position", () => {
    expect(problemLines(fixture("malformed.yml"), "malformed.yml")).toEqual([
      "malformed.yml:7:1 (root): Sequence item without - indicator",
    ]);
  });

  it("collects every schema problem with file:line:column, not just the first", () => {
    expect(problemLines(fixture("deploy.yml"), "deploy.yml")).toEqual([
      "deploy.yml:5:18 stages[0].concurrency: expected an integer, got string 'four'",
      "deploy.yml:9:18 stages[0].steps[0].timeout: expected a duration such as '500ms', '30s', '5m' or '1h' (or a number of milliseconds), got string 'soon'",
      "deploy.yml:14:9 stages[1].steps[0]: unknown key 'retires' (did you mean 'retry'?)",
    ]);
  });

  it("reports step kinds: unknown, misspelt, missing and doubled", () => {
    expect(problemLines(fixture("kinds.yml"), "kinds.yml")).toEqual([
      "kinds.yml:6:9 stages[0].steps[0]: unknown step kind 'foo' (known: http, run, signal, wait)",
      "kinds.yml:8:9 stages[0].steps[1]: unknown step kind 'htp' (did you mean 'http'? known: http, run, signal, wait)",
      "kinds.yml:9:9 stages[0].steps[2]: step has no kind: add one of http, run, signal, wait",
      "kinds.yml:13:9 stages[0].steps[3]: step has more than one kind: 'run' and 'http' (keep exactly one)",
    ]);
  });

  it("points unknown keys at the key and suggests at every level", () => {
    const text = yaml(
      "name: x",
      "stagse: []",
      "defaults:",
      "  retry: { max_attempt: 2 }",
      "stages:",
      "  - id: a",
      "    mdoe: parallel",
      "    steps:",
      "      - { id: s, run: make, retry: { jiter: full } }",
    );
    expect(problemLines(text)).toEqual([
      "test.yml:2:1 (root): unknown key 'stagse' (did you mean 'stages'?)",
      "test.yml:4:12 defaults.retry: unknown key 'max_attempt' (did you mean 'max_attempts'?)",
      "test.yml:7:5 stages[0]: unknown key 'mdoe' (did you mean 'mode'?)",
      "test.yml:9:38 stages[0].steps[0].retry: unknown key 'jiter' (did you mean 'jitter'?)",
    ]);
  });

  it("reports missing keys at the object that lacks them, and enum values with a suggestion", () => {
    const text = yaml("stages:", "  - mode: paralel", "    steps:", "      - run: make");
    expect(problemLines(text)).toEqual([
      "test.yml:1:1 (root): missing required key 'name'",
      "test.yml:2:5 stages[0]: missing required key 'id'",
      "test.yml:2:11 stages[0].mode: expected one of parallel, sequential, got string 'paralel' (did you mean 'parallel'?)",
      "test.yml:4:9 stages[0].steps[0]: missing required key 'id'",
    ]);
  });

  it("checks ids, names, env names and bad durations", () => {
    const text = yaml(
      "name: my workflow",
      "defaults: { timeout: 5 minutes }",
      "stages:",
      "  - id: 1st",
      "    steps:",
      "      - id: s",
      "        run: make",
      "        env: { MY-VAR: x }",
      "        timeout: -5",
    );
    expect(problemLines(text)).toEqual([
      "test.yml:1:7 name: must hold only letters, digits, '_', '-' and '.'",
      "test.yml:2:22 defaults.timeout: expected a duration such as '500ms', '30s', '5m' or '1h' (or a number of milliseconds), got string '5 minutes'",
      "test.yml:4:9 stages[0].id: must start with a letter or '_' and hold only letters, digits, '_' and '-', got string '1st'",
      "test.yml:8:16 stages[0].steps[0].env: invalid name 'MY-VAR': use letters, digits and '_', not starting with a digit",
      "test.yml:9:18 stages[0].steps[0].timeout: expected a duration such as '500ms', '30s', '5m' or '1h' (or a number of milliseconds), got number -5",
    ]);
  });

  it("adds the problems a kind's own validate() finds, under the kind's key", () => {
    const strict = new Map(kinds);
    strict.set("http", {
      execute: async () => ({}),
      validate: (config) =>
        (config as { url?: string }).url?.startsWith("http")
          ? []
          : [["url", "must be an absolute http(s) URL"]],
    });
    const text = yaml(
      "name: x",
      "stages:",
      "  - id: a",
      "    steps:",
      "      - id: call",
      "        http: { url: ftp://x }",
    );
    expect(problemLines(text, "test.yml", strict)).toEqual([
      "test.yml:6:22 stages[0].steps[0].http.url: must be an absolute http(s) URL",
    ]);
  });

  it("says so when the file is empty or not a mapping", () => {
    expect(problemLines("")).toEqual([
      "test.yml (root): the workflow is empty (it needs at least 'name' and 'stages')",
    ]);
    expect(problemLines("- a\n")).toEqual(["test.yml:1:1 (root): expected a mapping, got a list"]);
  });

  it("throws a WorkflowError: an InputError with reason definition_invalid and structured problems", () => {
    const error = workflowError(() => parseWorkflow(fixture("deploy.yml"), { file: "deploy.yml", kinds }));
    expect(error).toBeInstanceOf(WorkflowError);
    expect(error).toBeInstanceOf(InputError);
    expect(error.reason).toBe("definition_invalid");
    expect(error.issues).toHaveLength(3);
    expect(error.problems[2]).toEqual({
      file: "deploy.yml",
      line: 14,
      column: 9,
      path: "stages[1].steps[0]",
      message: "unknown key 'retires' (did you mean 'retry'?)",
    });
  });

  it("reports problems of an object definition by path alone", () => {
    const error = workflowError(() =>
      compileWorkflow(
        { name: "x", stages: [{ id: "a", steps: [{ id: "s", run: "make", priority: "high" }] }] },
        { kinds },
      ),
    );
    expect(error.message).toBe("stages[0].steps[0].priority: expected an integer, got string 'high'");
    expect(error.problems[0]).toEqual({
      path: "stages[0].steps[0].priority",
      message: "expected an integer, got string 'high'",
    });
  });
});
