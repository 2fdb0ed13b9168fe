/**
 * The benchmark workload, shared by every part of `npm run bench`:
 * 3 stages — 1 step, 10 parallel steps, 1 step — of a registered custom kind, compiled with
 * compileWorkflow from a plain object; 200 workflows, 4 in flight.
 */
import { fork } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { compileWorkflow, type Kinds } from "../src/engine/definition/index.js";
import type { WorkflowPlan } from "../src/engine/definition/plan.js";

export const WORKFLOWS = 200;
export const IN_FLIGHT = 4;
export const MIDDLE_STEPS = 10;
export const STEPS_PER_WORKFLOW = 1 + MIDDLE_STEPS + 1;
/** The custom step kind every step of the workload uses. */
export const KIND = "noop";
export const STAGES = { first: "first", middle: "middle", last: "last" } as const;

/** The workflow as a user would write it (snake_case keys), before compilation. */
export function workflowDefinition(name = "bench"): Record<string, unknown> {
  const step = (id: string) => ({ id, [KIND]: {} });
  return {
    name,
    stages: [
      { id: STAGES.first, steps: [step("s1")] },
      {
        id: STAGES.middle,
        mode: "parallel",
        steps: Array.from({ length: MIDDLE_STEPS }, (_, i) => step(`m${String(i + 1).padStart(2, "0")}`)),
      },
      { id: STAGES.last, steps: [step("s3")] },
    ],
  };
}

/** Compiles the workload against an engine's registered kinds (the `noop` kind must be there). */
export function benchPlan(kinds: Kinds, name?: string): WorkflowPlan {
  return compileWorkflow(workflowDefinition(name), { kinds });
}

/** A fresh temporary directory (real files on the machine's disk); `cleanup` removes it. */
export function tempDir(prefix: string): { dir: string; file(name: string): string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), `stageflow-bench-${prefix}-`));
  return {
    dir,
    file: (name) => join(dir, name),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Runs `task(0..total-1)` with at most `concurrency` in flight; a new one starts as one ends. */
export async function pool(
  total: number,
  concurrency: number,
  task: (index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < total) {
      const index = next++;
      await task(index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, total) }, worker));
}

export function median(values: readonly number[]): number {
  return quantile(values, 0.5);
}

/** Linear-interpolated quantile (q in [0, 1]) of `values`. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const a = sorted[lo] as number;
  const b = sorted[hi] as number;
  return a + (b - a) * (pos - lo);
}

export function round(value: number, digits = 0): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

export const mb = (bytes: number): number => round(bytes / 1024 / 1024, 1);

/** Yields to the event loop (lets group commits and timers run). */
export const tick = (ms = 0): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A bench tool's command-line options: `--key=value` pairs (a bare `--flag` is "true"), with
 * `--reps=N` (at least 1) and `--only=a,b` read against the tool's defaults.
 */
export function benchOptions(defaults: { reps: number; only: string }): {
  args: Map<string, string>;
  reps: number;
  only: Set<string>;
} {
  const args = new Map(
    process.argv.slice(2).map((a) => {
      const [k, v] = a.replace(/^--/, "").split("=");
      return [k ?? "", v ?? "true"] as const;
    }),
  );
  return {
    args,
    reps: Math.max(1, Number(args.get("reps") ?? defaults.reps)),
    only: new Set((args.get("only") ?? defaults.only).split(",")),
  };
}

/**
 * Runs a benchmark module in a child process of its own (`--expose-gc`, so its RSS is the
 * benchmark's alone): `module` is the benchmark file's `import.meta.url`, started with `role` as
 * its argument; resolves with the one message it sends back.
 */
export function runInChild<T>(module: string, role: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(module), [role], {
      execArgv: [...process.execArgv, "--expose-gc"],
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    let result: T | undefined;
    child.on("message", (m) => {
      result = m as T;
    });
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      if (result) resolve(result);
      else reject(new Error(`${role} benchmark exited (code ${code}, signal ${signal}) without a result`));
    });
  });
}
