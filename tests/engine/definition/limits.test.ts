import { describe, expect, it } from "vitest";
import { parseDuration } from "../../../src/engine/definition/durations.js";
import { compileWorkflow, parseWorkflow } from "../../../src/engine/definition/index.js";
import { LIMITS } from "../../../src/engine/definition/limits.js";
import { kinds, problemLines, workflowError, yaml } from "./helpers.js";

/** A workflow of one stage whose one step carries `extra` (flow-mapping keys). */
const oneStep = (extra: string, stageExtra = "") =>
  yaml("name: x", "stages:", `  - { id: a${stageExtra}, steps: [{ id: s, wait: 1ms${extra} }] }`);

const parse = (text: string) => parseWorkflow(text, { file: "test.yml", kinds });

describe("limits, checked with file:line", () => {
  it("time limits are at least 1ms: timeout 0 would end every attempt at once", () => {
    expect(problemLines(oneStep(", timeout: 0"))).toEqual([
      "test.yml:3:51 stages[0].steps[0].timeout: must be at least 1ms (a timeout of 0 would end every attempt at once), got number 0",
    ]);
    expect(problemLines(oneStep("", ", timeout: 0s, warn_after: 0ms"))[0]).toContain(
      "stages[0].timeout: must be at least 1ms",
    );
    expect(
      problemLines(
        yaml("name: x", "defaults: { timeout: 0ms }", "stages: [{ id: a, steps: [{ id: s, wait: 1ms }] }]"),
      ),
    ).toEqual([
      "test.yml:2:22 defaults.timeout: must be at least 1ms (a timeout of 0 would end every attempt at once), got string '0ms'",
    ]);
  });

  it("durations are at most 30 days; 309 digits are not Infinity", () => {
    const digits = "9".repeat(309);
    expect(parseDuration(`${digits}ms`)).toBeUndefined();
    expect(problemLines(oneStep(`, timeout: ${digits}ms`))).toEqual([
      `test.yml:3:51 stages[0].steps[0].timeout: must be at most 30d (2592000000 ms), got string '${"9".repeat(60)}… (311 characters)'`,
    ]);
    expect(problemLines(oneStep(", retry: { base_delay: 31d }"))[0]).toContain(
      "stages[0].steps[0].retry.base_delay: must be at most 30d",
    );
    expect(problemLines(oneStep(", timeout: 1e400"))[0]).toContain(
      "expected a finite number, got number Infinity",
    );
    // At the limits: accepted.
    expect(
      parse(oneStep(", timeout: 30d, retry: { base_delay: 0, max_delay: 30d }")).stages[0]?.steps[0]
        ?.timeoutMs,
    ).toBe(LIMITS.durationMs);
    expect(parse(oneStep(", timeout: 1ms")).stages[0]?.steps[0]?.timeoutMs).toBe(1);
  });

  it("ids have at most 64 characters, so work files can be named after them", () => {
    const long = "a".repeat(241);
    expect(problemLines(oneStep("").replace("id: s,", `id: ${long},`))).toEqual([
      "test.yml:3:28 stages[0].steps[0].id: an id has at most 64 characters, got 241",
    ]);
    expect(
      parse(oneStep("").replace("id: s,", `id: ${"b".repeat(64)},`)).stages[0]?.steps[0]?.id,
    ).toHaveLength(64);
    expect(problemLines(oneStep("").replace("name: x", `name: ${"n".repeat(101)}`))[0]).toBe(
      "test.yml:1:7 name: must have at most 100 characters",
    );
  });

  it("attempts are at most 100, in retry policies and recovery patterns", () => {
    expect(problemLines(oneStep(", retry: { max_attempts: 1000000000000 }"))).toEqual([
      "test.yml:3:65 stages[0].steps[0].retry.max_attempts: must be at most 100, got number 1000000000000",
    ]);
    const text = yaml(
      "name: x",
      "stages: [{ id: a, steps: [{ id: s, wait: 1ms }] }]",
      "recovery: [{ id: r, match: x, type: network, strategy: retry, max_attempts: 101 }]",
    );
    expect(problemLines(text)).toEqual([
      "test.yml:3:77 recovery[0].max_attempts: must be at most 100, got number 101",
    ]);
  });

  it("bounds stages, steps, concurrency and inputs", () => {
    const stages = Array.from(
      { length: 101 },
      (_, i) => `  - { id: s${i}, steps: [{ id: t${i}, wait: 1ms }] }`,
    );
    expect(problemLines(yaml("name: x", "stages:", ...stages))).toEqual([
      "test.yml:3:3 stages: must have at most 100 items",
    ]);
    const steps = Array.from({ length: 1001 }, (_, i) => `      - { id: t${i}, wait: 1ms }`);
    expect(problemLines(yaml("name: x", "stages:", "  - id: a", "    steps:", ...steps))).toEqual([
      "test.yml:3:3 stages: a workflow has at most 1000 steps, got 1001",
      "test.yml:5:7 stages[0].steps: must have at most 1000 items",
    ]);
    expect(problemLines(oneStep("", ", mode: parallel, concurrency: 101"))).toEqual([
      "test.yml:3:43 stages[0].concurrency: must be at most 100, got number 101",
    ]);
    const inputs = Array.from({ length: 101 }, (_, i) => `  i${i}: { type: string }`);
    expect(
      problemLines(
        yaml("name: x", "inputs:", ...inputs, "stages: [{ id: a, steps: [{ id: s, wait: 1ms }] }]"),
      ),
    ).toEqual(["test.yml:3:3 inputs: a workflow has at most 100 inputs, got 101"]);
  });

  it("a parallel stage without concurrency runs at most 100 steps at once", () => {
    const steps = Array.from({ length: 150 }, (_, i) => `      - { id: t${i}, wait: 1ms }`);
    const plan = parse(yaml("name: x", "stages:", "  - id: a", "    mode: parallel", "    steps:", ...steps));
    expect(plan.stages[0]?.concurrency).toBe(100);
  });

  it("refuses a file larger than 256 KiB before parsing it", () => {
    const text = `${oneStep("")}# ${"x".repeat(LIMITS.fileBytes)}\n`;
    expect(problemLines(text)).toEqual([
      `test.yml (root): the file has ${Buffer.byteLength(text)} bytes; a workflow file may have at most 256 KiB`,
    ]);
  });

  it("refuses deep nesting of lists and mappings, in flow and block style", () => {
    const flow = `${oneStep("")}extra: ${"[".repeat(5000)}${"]".repeat(5000)}\n`;
    expect(problemLines(flow)).toEqual([
      "test.yml:4:40 (root): nests deeper than 32 levels of lists and mappings",
    ]);
    const block = yaml(
      "name: x",
      "stages: [{ id: a, steps: [{ id: s, wait: 1ms }] }]",
      "sla:",
      ...Array.from({ length: 40 }, (_, i) => `${" ".repeat(i + 1)}k${i}:`),
    );
    expect(problemLines(block)[0]).toMatch(/^test\.yml:\d+:\d+ sla(\.k\d+)+: nests deeper than 32 levels/);
  });

  it("refuses a self-referencing anchor, too many aliases and too many values", () => {
    expect(problemLines(oneStep(", with: &w { again: *w }"))).toEqual([
      "test.yml:3:51 stages[0].steps[0].with.again: this value contains itself (an alias inside its own anchor); write it out instead",
    ]);
    const aliases = yaml("name: x", "a: &a [1]", `b: [${Array(101).fill("*a").join(", ")}]`, "stages: []");
    expect(problemLines(aliases)).toEqual(["test.yml:3:405 (root): more than 100 aliases ('*name')"]);
    // A billion laughs: few aliases, each doubling the values.
    const laughs = ["name: x", "l0: &l0 [x, x, x, x, x, x, x, x, x, x]"];
    for (let i = 1; i < 9; i++)
      laughs.push(
        `l${i}: &l${i} [${Array(10)
          .fill(`*l${i - 1}`)
          .join(", ")}]`,
      );
    expect(problemLines(yaml(...laughs, "stages: []"))).toHaveLength(1);
    const values = yaml(
      "name: x",
      `many: [${Array(LIMITS.values + 1)
        .fill("1")
        .join(",")}]`,
      "stages: []",
    );
    expect(problemLines(values)[0]).toMatch(/^test\.yml:2:\d+ \(root\): more than 50000 values/);
  });

  it("refuses numbers that are not finite (.inf, .nan)", () => {
    expect(problemLines(oneStep(", with: { n: .inf, m: .nan }"))).toEqual([
      "test.yml:3:53 stages[0].steps[0].with.n: expected a finite number, got number Infinity",
      "test.yml:3:62 stages[0].steps[0].with.m: expected a finite number, got number NaN",
    ]);
  });

  it("bounds expressions: nesting and length, with a clear message instead of a RangeError", () => {
    const deep = `${"(".repeat(1200)}true${")".repeat(1200)}`;
    const lines = problemLines(oneStep(`, if: "${deep}"`));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^test\.yml:3:\d+ stages\[0\]\.steps\[0\]\.if: invalid expression '\({60}… \(2404 characters\)': an expression nests at most 32 levels deep at column 33$/,
    );
    const long = `inputs.x == '${"y".repeat(5000)}'`;
    expect(problemLines(oneStep(`, if: "${long}"`))[0]).toContain(
      "an expression has at most 4096 characters, got 5014 at column 4097",
    );
  });

  it("checks a workflow given as an object the same way (cycles included)", () => {
    const looped: Record<string, unknown> = { a: 1 };
    looped.self = looped;
    const definition = {
      name: "x",
      stages: [{ id: "a", steps: [{ id: "s", wait: "1ms", with: looped }] }],
    };
    expect(workflowError(() => compileWorkflow(definition, { kinds })).message).toBe(
      "stages[0].steps[0].with.self: this value contains itself (an alias inside its own anchor); write it out instead",
    );
  });
});
