import { existsSync } from "node:fs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { captureIo, stageflow, tempDir } from "./helpers.js";

const workflow = `name: ship
defaults:
  timeout: 5m
inputs:
  deploy: { type: boolean, default: false }
  version: { type: string, required: true }
stages:
  - id: build
    mode: parallel
    concurrency: 2
    steps:
      - id: compile
        run: touch "$MARK"
        env: { MARK: marker }
        retry: { max_attempts: 3 }
      - id: lint
        run: echo lint
        optional: true
  - id: deploy
    if: \${{ inputs.deploy }}
    steps:
      - id: push
        run: echo push
      - id: notify
        if: steps.push.outcome == 'success'
        run: echo notify
`;

describe("run --dry-run: the plan, and nothing run or recorded", () => {
  let tmp: ReturnType<typeof tempDir>;
  const cli = (...args: string[]) => stageflow(captureIo(tmp.dir), "run", "ship.yml", ...args);

  beforeEach(() => {
    tmp = tempDir();
    tmp.write("ship.yml", workflow);
  });
  afterEach(() => tmp.cleanup());

  it("shows stages, steps, order and what can be known of conditions", async () => {
    const { code, out, err } = await cli("--dry-run", "--input", "version=1.0");
    expect({ code, err }).toEqual({ code: 0, err: "" });
    expect(out).toContain(
      "plan of ship (ship.yml): 2 stages, 4 steps\ndry run: nothing is executed or recorded\n",
    );
    expect(out).toContain('  deploy = false\n  version = "1.0"\n');
    expect(out).toContain("1. build  (parallel, 2 at once, fail fast)\n");
    expect(out).toContain('   - compile  run: touch "$MARK"\n      timeout 5m, up to 3 attempts\n');
    expect(out).toContain("   - lint  run: echo lint\n      timeout 5m, optional\n");
    expect(out).toContain("2. deploy  (in sequence)  if inputs.deploy → skipped\n");
    expect(out).toContain("   1. push  run: echo push\n");
    expect(out).toContain("if steps.push.outcome == 'success' → decided during the run (depends on steps)");
    const deploying = await cli("--dry-run", "--input", "version=1.0", "--input", "deploy=true");
    expect(deploying.out).toContain("2. deploy  (in sequence)  if inputs.deploy → runs\n");
  });

  it("runs no step, opens no journal and creates no directory", async () => {
    expect((await cli("--dry-run", "--input", "version=1.0")).code).toBe(0);
    expect((await cli("--dry-run", "--input", "version=1.0", "--db", tmp.path("j.db"))).code).toBe(0);
    expect(existsSync(tmp.path("marker"))).toBe(false);
    expect(existsSync(tmp.path(".stageflow"))).toBe(false);
    expect(existsSync(tmp.path("j.db"))).toBe(false);
    expect(existsSync(tmp.path("work"))).toBe(false);
  });

  it("prints the plan as one JSON document with --json", async () => {
    const { code, out } = await cli("--dry-run", "--json", "--input", "version=1.0");
    expect(code).toBe(0);
    const plan = JSON.parse(out);
    expect(plan).toMatchObject({ dryRun: true, workflow: "ship", inputs: { deploy: false, version: "1.0" } });
    expect(plan.stages.map((s: { id: string }) => s.id)).toEqual(["build", "deploy"]);
    expect(plan.stages[1].condition).toEqual({ expression: "inputs.deploy", known: true, value: false });
    expect(plan.stages[1].steps[1].condition).toEqual({
      expression: "steps.push.outcome == 'success'",
      known: false,
      dependsOn: ["steps"],
    });
  });

  it("refuses bad inputs as run does, with exit 2", async () => {
    const { code, err } = await cli("--dry-run");
    expect(code).toBe(2);
    expect(err).toContain("missing required input 'version'");
  });
});
