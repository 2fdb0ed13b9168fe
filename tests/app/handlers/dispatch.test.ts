import { afterEach, expect, it } from "vitest";
import { example, type Harness, harness, labeled } from "./harness.js";

let h: Harness | undefined;
afterEach(async () => {
  expect(h?.gh.problems ?? []).toEqual([]);
  await h?.close();
  h = undefined;
});

const E2E = `
name: e2e
on: { labels: [e2e] }
stages:
  - id: test
    steps:
      - { id: e2e, signal: "dispatch:e2e" }
      - { id: after, work: {} }
`;

it("a workflow_run.completed ends the dispatch step waiting for it", async () => {
  h = await harness({ files: { "e2e.yml": E2E } });
  await h.send("issues", labeled("e2e"));
  const run = await h.runWhere((r) => r.status === "waiting");
  await h.store.put({
    key: `${run.id}/e2e`,
    runId: run.id,
    stepId: "e2e",
    signal: "dispatch:e2e",
    installationId: 1,
    owner: "Codertocat",
    repo: "Hello-World",
    workflow: "e2e.yml",
    workflowRunId: 4242,
    url: "https://github.com/Codertocat/Hello-World/actions/runs/4242",
    status: "waiting",
    createdAt: 0,
  });
  const other = example("workflow_run", "completed");
  other.workflow_run.id = 1;
  await h.send("workflow_run", other);
  expect((await h.engine.report(run.id)).run.status).toBe("waiting");

  const payload = example("workflow_run", "completed");
  payload.workflow_run.id = 4242;
  payload.workflow_run.conclusion = "success";
  await h.send("workflow_run", payload);
  await h.runWhere((r) => r.id === run.id && r.status === "succeeded");
  const step = (await h.engine.report(run.id)).stages[0]!.steps[0]!;
  // The workflow run's times travel with the result (the dispatch step's runner minutes).
  expect(step.outputs.payload).toMatchObject({
    workflowRunId: 4242,
    conclusion: "success",
    runStartedAt: payload.workflow_run.run_started_at,
    runUpdatedAt: payload.workflow_run.updated_at,
  });
  expect((await h.store.get(`${run.id}/e2e`))?.status).toBe("completed");
  // A redelivery of the completion changes nothing.
  await h.send("workflow_run", payload);
  expect(h.executed).toEqual(["after"]);
});
