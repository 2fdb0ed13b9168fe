/**
 * The Action's entry point (bundled into action/main.mjs, run by the runner under Node 24):
 * wires the host to `@actions/core`, the node:sqlite journal, the artifact service and GitHub,
 * and turns the runner's SIGINT/SIGTERM into a clean stop.
 */
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as core from "@actions/core";
import { createOctokit } from "../github/octokit.js";
import { errorMessage } from "../index.js";
import { createSqliteJournal, verifyJournalSnapshot } from "../sqlite.js";
import { artifactCheckpoints } from "./checkpoints.js";
import { runAction } from "./host.js";
import { runnerContext } from "./inputs.js";
import type { ActionOutput } from "./ports.js";

/** node:sqlite with backup(): Node 22.16 and later (the Action declares node24); better-sqlite3 is not in the bundle. */
export function journalDriverProblem(version = process.versions.node): string | null {
  const [major = 0, minor = 0] = version.split(".").map(Number);
  if (major > 22 || (major === 22 && minor >= 16)) return null;
  return `stageflow's Action needs Node 22.16 or later for its journal (node:sqlite); this runner runs Node ${version}. Use a runner whose Node is 24 (runs.using: node24: GitHub-hosted runners and self-hosted runners 2.327+)`;
}

/** The templates directory beside the bundle (action/main.mjs → templates/), or the sources'. */
function templatesDir(): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    if (existsSync(join(dir, "templates", "check-run.md"))) return join(dir, "templates");
    dir = dirname(dir);
  }
  return undefined;
}

const output: ActionOutput = {
  info: (m) => core.info(m),
  warning: (m, p) => core.warning(m, p),
  error: (m, p) => core.error(m, p),
  notice: (m, p) => core.notice(m, p),
  setFailed: (m) => core.setFailed(m),
  setOutput: (n, v) => core.setOutput(n, v),
  setSecret: (v) => core.setSecret(v),
  startGroup: (n) => core.startGroup(n),
  endGroup: () => core.endGroup(),
  writeSummary: async (md) => {
    if (!process.env.GITHUB_STEP_SUMMARY) return;
    await core.summary.addRaw(md, true).write();
  },
};

export async function main(): Promise<number> {
  const problem = journalDriverProblem();
  if (problem) {
    core.setOutput("status", "invalid"); // nothing ran
    core.setFailed(problem);
    return 1;
  }
  const ctx = runnerContext(process.env, process.cwd());
  const stop = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    core.info(`Received ${signal}: stopping the run and keeping a last checkpoint.`);
    stop.abort();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    const result = await runAction({
      env: process.env,
      cwd: process.cwd(),
      out: output,
      openJournal: (path, durability) =>
        createSqliteJournal({ path, durability, driver: "node:sqlite" }),
      verifySnapshot: async (path) => {
        const verdict = await verifyJournalSnapshot(path, { driver: "node:sqlite" });
        if (!verdict.ok) throw new Error(`it failed verification: ${verdict.problems.join("; ")}`);
      },
      checkpoints: artifactCheckpoints(
        { job: ctx.job, attempt: ctx.runAttempt },
        { warn: (m) => core.warning(m) },
      ),
      github: (token, apiUrl) => createOctokit({ auth: token, baseUrl: apiUrl }),
      templatesDir: templatesDir(),
      stop: stop.signal,
    });
    return result.failed ? 1 : 0;
  } catch (e) {
    core.setOutput("status", "failed");
    core.setFailed(`stageflow: ${errorMessage(e)}`);
    return 1;
  }
}
