/** Real runs on the memory journal, for the view and template tests. */
import {
  createEngine,
  type Engine,
  parseWorkflow,
  type RunReport,
  type StepContext,
  type WorkflowPlan,
} from "stageflow";
import { FakeClock, MemoryJournal } from "stageflow/testing";

export const T0 = Date.UTC(2026, 0, 1);
export const SECRET = "hunter2-very-secret-token";
/** A secret input's default: recorded as it is by the engine, masked by the view. */
export const DEFAULT_SECRET = "default-secret-value-123";

/**
 * `release.yml`: `compile` fails twice then succeeds (retried), `deps` fails on mirror a and is
 * recovered by an alternative, `upload` always fails (the run fails). `build` has warn_after 1s
 * and takes longer (the retry delays).
 */
export const RELEASE = `name: release
description: Build and ship
inputs:
  version: { type: string, default: "1.0" }
  token: { type: string, secret: true }
recovery:
  - id: mirror_down
    match: "ECONNREFUSED.*mirror-a"
    type: network
    strategy: alternative
    alternatives:
      - with: { mirror: b }
stages:
  - id: build
    warn_after: 1s
    timeout: 1m
    steps:
      - id: compile
        flaky: {}
        retry: { max_attempts: 3, backoff: constant, base_delay: 700ms, jitter: none }
      - id: deps
        fetch: {}
        with: { mirror: a }
  - id: ship
    steps:
      - id: upload
        boom: {}
`;

/** `gate.yml`: a stage that waits for an approval (the `approval` kind waits for signal `approve`). */
export const GATE = `name: gate
inputs:
  api_key: { type: string, secret: true, default: "${DEFAULT_SECRET}" }
stages:
  - id: prepare
    steps:
      - id: check
        flaky: {}
  - id: gate
    warn_after: 10m
    steps:
      - id: approve
        approval: {}
  - id: ship
    steps:
      - id: ship
        fetch: {}
        with: { mirror: b }
`;

export function testEngine(): { engine: Engine; clock: FakeClock } {
  const clock = new FakeClock(T0, { autoAdvance: true });
  const engine = createEngine({ journal: new MemoryJournal(), clock, defaultPatterns: false });
  engine.register("flaky", async (ctx: StepContext) => {
    if (ctx.stepId === "compile" && ctx.attempt < 3)
      throw new Error(`compiler crashed (attempt ${ctx.attempt})`);
    return {};
  });
  engine.register("fetch", async (ctx: StepContext) => {
    if (ctx.with.mirror === "a") throw new Error("connect ECONNREFUSED mirror-a.example.com:443");
    return { mirror: String(ctx.with.mirror) };
  });
  engine.register("boom", async () => {
    throw new Error(`upload rejected: token ${SECRET} expired | see https://example.com`);
  });
  engine.register("approval", {
    validate: () => [],
    dependency: () => undefined,
    waits: true,
    async execute(ctx) {
      const got = await ctx.waitFor({ signal: "approve" });
      return { by: String((got?.payload as { actor?: string } | undefined)?.actor ?? "") };
    },
  });
  return { engine, clock };
}

export function planOf(engine: Engine, text: string, file: string): WorkflowPlan {
  return parseWorkflow(text, { file, kinds: engine.kinds });
}

/** The failed release run (see RELEASE), its report and plan. */
export async function failedRelease(): Promise<{ report: RunReport; plan: WorkflowPlan; clock: FakeClock }> {
  const { engine, clock } = testEngine();
  const plan = planOf(engine, RELEASE, ".github/stageflow/release.yml");
  const handle = await engine.start(plan, {
    inputs: { token: SECRET },
    trigger: { kind: "command", actor: "octocat", detail: "/stageflow run release" },
  });
  await handle.done;
  const report = await engine.report(handle.runId);
  await engine.close();
  return { report, plan, clock };
}

/** The gate run, parked at its approval step. */
export async function waitingGate(): Promise<{ report: RunReport; plan: WorkflowPlan; clock: FakeClock }> {
  const { engine, clock } = testEngine();
  const plan = planOf(engine, GATE, ".github/stageflow/gate.yml");
  const handle = await engine.start(plan, { trigger: { kind: "label", actor: "hubot", detail: "deploy" } });
  await handle.done;
  const report = await engine.report(handle.runId);
  await engine.close();
  return { report, plan, clock };
}
