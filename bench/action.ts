/**
 * (h) The GitHub Action: start-up to the first step, and the cost of a checkpoint.
 *
 * - Start-up: the committed bundle (action/main.mjs) under Node 24, as a runner starts it, from
 *   the spawn to the moment its first `run` step writes a timestamp; baseline in the same run:
 *   a bare Node 24 that runs the same shell command at once.
 * - Checkpoint per stage: an online snapshot of a journal holding 1,000 finished steps plus its
 *   upload with the real @actions/artifact client to the loopback artifact service (what the
 *   Action does after each stage); baseline: the same for an empty journal (the fixed cost of the
 *   artifact round trip). Target: under 1 s per stage.
 *
 * The checkpoint part runs in this process (Node 20, better-sqlite3's backup); the Action's
 * journal is node:sqlite under Node 24, whose snapshot was measured at about the same cost.
 */
import { spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { createCheckpointStore } from "../src/action/checkpoints.js";
import { compileWorkflow } from "../src/engine/definition/index.js";
import { createEngine } from "../src/index.js";
import { createSqliteJournal } from "../src/sqlite.js";
import { startArtifactService } from "../tests/support/artifact-service.js";
import { KIND, median, round, tempDir } from "./workload.js";

export const TARGET = { checkpointMs: 1000 } as const;
const STEPS = 1000;
const STAGES = 10;
const REPS = 7;

export interface ActionBenchResult {
  startupMedianMs: number;
  bareNodeMedianMs: number;
  startupRatio: number;
  steps: number;
  snapshotBytes: number;
  snapshotMedianMs: number;
  uploadMedianMs: number;
  checkpointMedianMs: number;
  emptyCheckpointMedianMs: number;
  checkpointRatio: number;
  pass: boolean;
}

async function node24(): Promise<string> {
  const script = pathToFileURL(resolve(process.cwd(), "scripts/node24.mjs")).href;
  const { ensureNode24 } = (await import(script)) as { ensureNode24(): string };
  return ensureNode24();
}

/** Spawns `args` under `node`, resolves with the ms from spawn to the timestamp written in `mark`. */
function timeToMark(
  node: string,
  args: string[],
  env: Record<string, string>,
  mark: string,
): Promise<number> {
  return new Promise((resolveTime, reject) => {
    const t0 = Date.now();
    const child = spawn(node, args, { env, stdio: "ignore", cwd: env.GITHUB_WORKSPACE });
    child.on("error", reject);
    child.on("close", (code) => {
      if (code !== 0) return reject(new Error(`${args[0]} exited ${String(code)}`));
      resolveTime(Number(BigInt(readFileSync(mark, "utf8").trim()) / 1_000_000n) - t0);
    });
  });
}

async function startup(): Promise<{ action: number; bare: number }> {
  const node = await node24();
  const tmp = tempDir("action");
  try {
    const mark = tmp.file("mark");
    const command = `date +%s%N > "${mark}"`;
    writeFileSync(
      tmp.file("flow.yml"),
      `name: startup\nstages:\n  - id: one\n    steps:\n      - id: first\n        run: ${JSON.stringify(command)}\n`,
    );
    const env = {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      GITHUB_WORKSPACE: tmp.dir,
      RUNNER_TEMP: tmp.file("runner"),
      INPUT_WORKFLOW: "flow.yml",
      INPUT_CHECKPOINT: "off",
    };
    const bundle = resolve(process.cwd(), "action/main.mjs");
    const action: number[] = [];
    const bare: number[] = [];
    for (let i = 0; i < REPS; i++) {
      env.RUNNER_TEMP = tmp.file(`runner-${i}`); // a fresh machine each time
      action.push(await timeToMark(node, [bundle], env, mark));
      bare.push(
        await timeToMark(
          node,
          ["-e", `require("node:child_process").execSync(${JSON.stringify(command)})`],
          env,
          mark,
        ),
      );
    }
    return { action: median(action), bare: median(bare) };
  } finally {
    tmp.cleanup();
  }
}

/** A journal file holding one finished run of `steps` steps in STAGES stages. */
async function journalWith(path: string, steps: number): Promise<void> {
  const journal = createSqliteJournal({ path });
  const engine = createEngine({ journal });
  engine.register(KIND, async () => ({ outputs: { note: "x".repeat(64) } }));
  if (steps > 0) {
    const per = steps / STAGES;
    const definition = {
      name: "thousand",
      stages: Array.from({ length: STAGES }, (_, s) => ({
        id: `stage${s}`,
        mode: "parallel",
        steps: Array.from({ length: per }, (_, i) => ({ id: `s${s}_${i}`, [KIND]: {} })),
      })),
    };
    const { done } = await engine.start(compileWorkflow(definition, { kinds: engine.kinds }));
    const result = await done;
    if (result.status !== "succeeded") throw new Error(`the 1,000-step run ${result.status}`);
  }
  await engine.close();
  await journal.close();
}

async function checkpoints(): Promise<
  Omit<ActionBenchResult, "startupMedianMs" | "bareNodeMedianMs" | "startupRatio" | "pass">
> {
  const service = await startArtifactService();
  const tmp = tempDir("checkpoint");
  const saved = process.env;
  process.env = { ...saved, ...service.runtimeEnv({ runBackendId: "bench-run", jobBackendId: "bench-job" }) };
  try {
    const measure = async (steps: number, key: string) => {
      const path = tmp.file(`${key}.db`);
      await journalWith(path, steps);
      const journal = createSqliteJournal({ path });
      const store = createCheckpointStore({ job: "bench", key, attempt: 1 });
      const snap: number[] = [];
      const up: number[] = [];
      let bytes = 0;
      try {
        for (let seq = 1; seq <= REPS; seq++) {
          const file = join(tmp.dir, `${key}-${seq}.snapshot`);
          const t0 = performance.now();
          bytes = (await journal.snapshot(file)).bytes;
          const t1 = performance.now();
          await store.save(file, seq);
          up.push(performance.now() - t1);
          snap.push(t1 - t0);
        }
      } finally {
        await journal.close();
      }
      const total = snap.map((s, i) => s + up[i]!);
      return { bytes, snapshot: median(snap), upload: median(up), total: median(total) };
    };
    const full = await measure(STEPS, "thousand");
    const empty = await measure(0, "empty");
    return {
      steps: STEPS,
      snapshotBytes: full.bytes,
      snapshotMedianMs: round(full.snapshot, 1),
      uploadMedianMs: round(full.upload, 1),
      checkpointMedianMs: round(full.total, 1),
      emptyCheckpointMedianMs: round(empty.total, 1),
      checkpointRatio: round(full.total / empty.total, 2),
    };
  } finally {
    process.env = saved;
    tmp.cleanup();
    await service.close();
  }
}

export async function runActionBench(): Promise<ActionBenchResult> {
  const s = await startup();
  const c = await checkpoints();
  return {
    startupMedianMs: round(s.action, 1),
    bareNodeMedianMs: round(s.bare, 1),
    startupRatio: round(s.action / s.bare, 2),
    ...c,
    pass: c.checkpointMedianMs < TARGET.checkpointMs,
  };
}
