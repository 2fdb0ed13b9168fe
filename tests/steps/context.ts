/** Builds a StepContext for step-kind tests: a real temp workDir, an AbortController, a collecting logger. */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { StepContext, StepHandler } from "../../src/engine/handler.js";
import { type Clock, type Logger, systemClock } from "../../src/engine/ports.js";
import { NO_SECRETS } from "../../src/engine/secrets/index.js";
import { createRunStep } from "../../src/steps/run.js";

export interface LogLine {
  level: "debug" | "info" | "warn" | "error";
  msg: string;
  fields?: Record<string, unknown>;
}

export interface TestContext {
  ctx: StepContext;
  controller: AbortController;
  logs: LogLine[];
  /** What the step kept with ctx.log(). */
  output: Array<{ stream: "stdout" | "stderr"; line: string }>;
  workDir: string;
  /** What the handler journaled through `ctx.recordProcess`, in order. */
  processes: unknown[];
  cleanup(): Promise<void>;
}

export interface ContextOptions extends Partial<Omit<StepContext, "evaluate">> {
  /** Expression text (trimmed) → value; the evaluate stand-in throws for anything else. */
  values?: Record<string, unknown>;
  clock?: Clock;
}

export async function makeContext(options: ContextOptions = {}): Promise<TestContext> {
  const { values = {}, ...overrides } = options;
  const workDir = await mkdtemp(path.join(tmpdir(), "stageflow-steps-"));
  const controller = new AbortController();
  const logs: LogLine[] = [];
  const output: TestContext["output"] = [];
  const processes: unknown[] = [];
  const log =
    (level: LogLine["level"]) =>
    (msg: string, fields?: Record<string, unknown>): void => {
      logs.push({ level, msg, fields });
    };
  const logger: Logger = { debug: log("debug"), info: log("info"), warn: log("warn"), error: log("error") };
  const ctx: StepContext = {
    runId: "run-1",
    run: { id: "run-1", workflow: "test", key: null, metadata: {} },
    stageId: "stage-1",
    stepId: "step-1",
    attempt: 1,
    idempotencyKey: "run-1/step-1",
    signal: controller.signal,
    logger,
    clock: systemClock,
    config: undefined,
    with: {},
    env: {},
    inputs: {},
    workDir,
    log: (stream, line) => output.push({ stream, line }),
    secrets: NO_SECRETS,
    deadline: async (ms) => (overrides.clock ?? systemClock).now() + ms,
    waitFor: async () => {
      throw new Error("waitFor is the engine's: not available in a hand-made context");
    },
    evaluate(expression) {
      if (!Object.hasOwn(values, expression)) throw new Error(`unknown expression: ${expression}`);
      return values[expression];
    },
    async recordProcess(process) {
      processes.push(process);
    },
    ...overrides,
  };
  return {
    ctx,
    controller,
    logs,
    output,
    workDir,
    processes,
    cleanup: () => rm(workDir, { recursive: true, force: true }),
  };
}

/** Polls `check` on real time (for real processes) until it returns a value, or fails after `ms`. */
export async function waitFor<T>(check: () => T | undefined, ms = 5000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error("waitFor: condition not met in time");
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The `run` kind as the CLI enables it: this process's directory and environment. */
export function processRunStep(options: { killGraceMs?: number } = {}): StepHandler {
  return createRunStep({ cwd: process.cwd(), env: process.env, ...options });
}
