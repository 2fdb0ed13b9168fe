/** Shared by the GitHub step kinds' tests: an engine on a fake clock with the kinds registered. */
import { Octokit } from "@octokit/rest";
import {
  createEngine,
  type Engine,
  type EngineEvent,
  type EventType,
  parseWorkflow,
  type RunInfo,
} from "stageflow";
import { FakeClock, MemoryJournal } from "stageflow/testing";
import { githubSteps, type GitHubStepsOptions } from "../../../src/steps/index.js";
import { MemoryDispatches } from "../../support/memory-dispatches.js";

export const T0 = Date.UTC(2026, 0, 1);

/** The metadata the app starts runs with (see COMMON.md). */
export const METADATA = {
  installationId: 42,
  owner: "octo-org",
  repo: "octo-repo",
  issue: 7,
  pr: false,
  headSha: null,
  actor: "octocat",
  deliveryId: "d-1",
  source: "label",
};

export interface Harness {
  engine: Engine;
  journal: MemoryJournal;
  clock: FakeClock;
  dispatches: MemoryDispatches;
  clients: RunInfo[];
}

/** An engine with the GitHub kinds; every run's client is a plain Octokit (nock answers for GitHub). */
export function harness(
  options: Partial<Pick<GitHubStepsOptions, "permission">> & {
    journal?: MemoryJournal;
    clock?: FakeClock;
    dispatches?: MemoryDispatches;
    parkAfterMs?: number;
  } = {},
): Harness {
  const clock = options.clock ?? new FakeClock(T0);
  const journal = options.journal ?? new MemoryJournal();
  const dispatches = options.dispatches ?? new MemoryDispatches();
  const clients: RunInfo[] = [];
  const engine = createEngine({
    journal,
    clock,
    defaultPatterns: false,
    ...(options.parkAfterMs === undefined ? {} : { parkAfterMs: options.parkAfterMs }),
  });
  const kinds = githubSteps({
    clientFor: async (run) => {
      clients.push(run);
      return new Octokit({ auth: "ghs_test" });
    },
    dispatches,
    ...(options.permission ? { permission: options.permission } : {}),
  });
  for (const [kind, handler] of Object.entries(kinds)) engine.register(kind, handler);
  return { engine, journal, clock, dispatches, clients };
}

export function plan(engine: Engine, stages: string) {
  return parseWorkflow(`name: ship\nstages:\n${stages}`, { file: "ship.yml", kinds: engine.kinds });
}

/** Resolves with the next event of `type` (for `runId`, when given). */
export function nextEvent<T extends EventType>(
  engine: Engine,
  type: T,
  runId?: string,
): Promise<Extract<EngineEvent, { type: T }>> {
  return new Promise((resolve) => {
    const off = engine.on((event) => {
      if (event.type === type && (runId === undefined || event.runId === runId)) {
        off();
        resolve(event as Extract<EngineEvent, { type: T }>);
      }
    });
  });
}

/** The outputs of a run's step, from its report. */
export async function outputsOf(engine: Engine, runId: string, stepId: string) {
  const report = await engine.report(runId);
  for (const stage of report.stages) {
    const step = stage.steps.find((s) => s.id === stepId);
    if (step) return step;
  }
  throw new Error(`no step ${stepId} in run ${runId}`);
}
