import { describe, expect, it } from "vitest";
import { compileWorkflow, parseWorkflow } from "../../../src/engine/definition/index.js";
import type { StepPlan, WorkflowPlan } from "../../../src/engine/definition/plan.js";
import { fixture, standInKinds, yaml } from "./helpers.js";

/** `${{ text }}`, spelt so that it is not mistaken for a template placeholder. */
const expr = (text: string) => "$" + `{{ ${text} }}`;

const kinds = standInKinds(["run", "http", "wait", "github"]);
const release = () => parseWorkflow(fixture("release.yml"), { file: "release.yml", kinds });

function step(plan: WorkflowPlan, id: string): StepPlan {
  const found = plan.stages.flatMap((s) => s.steps).find((s) => s.id === id);
  if (!found) throw new Error(`no step ${id}`);
  return found;
}

describe("compiling the example of workflow-format.md", () => {
  it("keeps the workflow-level settings and the reserved sections", () => {
    const plan = release();
    expect(plan).toMatchObject({
      name: "release",
      description: "Build, test and publish a release",
      on: { labels: ["release"], commands: ["release"] },
      inputs: {
        version: { type: "string", required: true },
        dry_run: { type: "boolean", required: false, default: false },
      },
      sla: { p95_duration: "15m", success_rate: 0.99 },
      baselines: { build: "8m" },
      source: "release.yml",
    });
    expect(plan.recovery.map((r) => r.id)).toEqual(["rate_limited", "mirror_down", "docs_slow", "security"]);
    expect(plan.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it("applies stage defaults", () => {
    const [prepare, build, publish] = release().stages;
    expect(prepare).toMatchObject({
      id: "prepare",
      index: 0,
      mode: "sequential",
      concurrency: 1,
      failFast: true,
    });
    expect(prepare?.onTimeout).toEqual(["fail"]);
    expect(prepare?.timeoutMs).toBeUndefined();
    expect(build).toMatchObject({ mode: "parallel", concurrency: 4, failFast: false, timeoutMs: 1_200_000 });
    expect(build).toMatchObject({ warnAfterMs: 600_000, onTimeout: ["escalate"] });
    expect(publish?.if).toBe("!inputs.dry_run");
    expect(build?.position).toEqual({ file: "release.yml", line: 23, column: 5 });
  });

  it("applies step defaults and merges retry field by field", () => {
    const plan = release();
    expect(step(plan, "check")).toMatchObject({
      stageId: "prepare",
      index: 0,
      kind: "run",
      config: "./scripts/check.sh",
      env: { VERSION: expr("inputs.version") },
      with: {},
      timeoutMs: 300_000,
      priority: 0,
      optional: false,
      continueOnError: false,
      retry: {
        maxAttempts: 3,
        backoff: "exponential",
        baseDelayMs: 1000,
        maxDelayMs: 30_000,
        jitter: "full",
      },
    });
    expect(step(plan, "linux").priority).toBe(10);
    expect(step(plan, "docs").optional).toBe(true);
    expect(step(plan, "notify")).toMatchObject({
      kind: "http",
      timeoutMs: 10_000,
      continueOnError: true,
      retry: {
        maxAttempts: 5,
        backoff: "exponential",
        baseDelayMs: 2000,
        maxDelayMs: 30_000,
        jitter: "full",
      },
    });
    expect(step(plan, "wait_for_mirrors")).toMatchObject({ kind: "wait", config: "2m" });
    expect(step(plan, "label")).toMatchObject({
      kind: "github",
      config: "issues.addLabels",
      with: { labels: ["released"] },
    });
  });

  it("uses the built-in defaults when the file sets none", () => {
    const plan = compileWorkflow(
      {
        name: "bare",
        stages: [
          {
            id: "s",
            mode: "parallel",
            steps: [
              { id: "a", run: "x", env: { N: 1 } },
              { id: "b", wait: 5 },
            ],
          },
        ],
      },
      { kinds },
    );
    expect(plan.stages[0]?.concurrency).toBe(2);
    expect(plan.inputs).toEqual({});
    expect(plan.on).toEqual({ labels: [], commands: [] });
    expect(plan.recovery).toEqual([]);
    expect(plan.source).toBeUndefined();
    expect(step(plan, "a")).toMatchObject({
      timeoutMs: 600_000,
      env: { N: "1" },
      retry: {
        maxAttempts: 1,
        backoff: "exponential",
        baseDelayMs: 1000,
        maxDelayMs: 30_000,
        jitter: "full",
      },
    });
    expect(step(plan, "a").position).toBeUndefined();
  });

  it("stores the expression of if: written with or without the wrapping, or as a boolean", () => {
    const plan = compileWorkflow(
      {
        name: "conds",
        inputs: { go: { type: "boolean" } },
        stages: [
          { id: "a", if: expr("inputs.go"), steps: [{ id: "x", run: "x", if: " inputs.go && true " }] },
          { id: "b", if: false, steps: [{ id: "y", run: "y" }] },
        ],
      },
      { kinds },
    );
    expect(plan.stages.map((s) => s.if)).toEqual(["inputs.go", "false"]);
    expect(step(plan, "x").if).toBe("inputs.go && true");
  });

  it("derives the dependency from the kind unless the step names one", () => {
    const http = standInKinds(["run", "http"], {
      http: { dependency: (config) => new URL((config as { url: string }).url).host },
    });
    const plan = compileWorkflow(
      {
        name: "deps",
        stages: [
          {
            id: "a",
            steps: [
              { id: "x", http: { url: "https://api.example.com/v1" } },
              { id: "y", http: { url: "https://api.example.com/v1" }, dependency: "example" },
              { id: "z", run: "make" },
            ],
          },
        ],
      },
      { kinds: http },
    );
    expect(plan.stages[0]?.steps.map((s) => s.dependency)).toEqual(["api.example.com", "example", undefined]);
  });
});

describe("identity and hash", () => {
  const base = () => ({
    name: "w",
    stages: [
      {
        id: "s",
        steps: [
          { id: "a", run: "make a" },
          { id: "b", run: "make b" },
        ],
      },
    ],
  });
  const identities = (def: unknown) =>
    compileWorkflow(def, { kinds }).stages[0]?.steps.map((s) => s.identity) ?? [];

  it("a step's identity changes with its command and not when another step changes", () => {
    const [a, b] = identities(base());
    const changed = base();
    (changed.stages[0]?.steps[1] as { run: string }).run = "make b --fast";
    const [a2, b2] = identities(changed);
    expect(a2).toBe(a);
    expect(b2).not.toBe(b);
  });

  it("a step's identity ignores retry and timeout, which do not change what it does", () => {
    const [a] = identities(base());
    const tuned = base();
    Object.assign(tuned.stages[0]?.steps[0] ?? {}, { retry: { max_attempts: 4 }, timeout: "1m" });
    expect(identities(tuned)[0]).toBe(a);
  });

  it("the hash is stable across key order and duration spelling, and changes with content", () => {
    const one = parseWorkflow(
      yaml("name: w", "stages:", "  - { id: s, timeout: 1m, steps: [{ id: a, run: x }] }"),
      { kinds },
    );
    const two = parseWorkflow(
      yaml("stages:", "  - { steps: [{ run: x, id: a }], timeout: 60s, id: s }", "name: w"),
      {
        kinds,
      },
    );
    const three = parseWorkflow(
      yaml("name: w", "stages:", "  - { id: s, timeout: 2m, steps: [{ id: a, run: x }] }"),
      {
        kinds,
      },
    );
    expect(two.hash).toBe(one.hash);
    expect(three.hash).not.toBe(one.hash);
  });

  it("the stored definition compiles again to the same plan", () => {
    const plan = release();
    const again = compileWorkflow(plan.definition, { kinds });
    expect(again.hash).toBe(plan.hash);
    expect(again.stages.map((s) => s.steps.map((x) => x.identity))).toEqual(
      plan.stages.map((s) => s.steps.map((x) => x.identity)),
    );
    expect(JSON.parse(JSON.stringify(plan.definition))).toEqual(plan.definition);
  });
});
