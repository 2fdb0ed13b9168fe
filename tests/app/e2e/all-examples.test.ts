/**
 * Every payload of @octokit/webhooks-examples (all events, all actions), signed, through the real
 * HTTP server into stageflow's own handlers: every delivery answered 2xx, none failed in the
 * worker, no unhandled rejection, and nothing started, since no workflow of the repository asks for
 * any of these labels or commands.
 */
import { afterEach, expect, it } from "vitest";
import { allExamples } from "../intake/support.js";
import { type E2E, startE2E } from "./harness.js";

let e2e: E2E | undefined;
afterEach(async () => {
  await e2e?.close();
  e2e = undefined;
});

it("every example delivery is answered 2xx, handled without failure, and starts nothing no workflow asked for", async () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  process.on("unhandledRejection", onUnhandled);
  try {
    e2e = await startE2E({
      workflows: {
        "release.yml": [
          "name: release",
          "on: { labels: [stageflow-release-now], commands: [release-now] }",
          "stages:",
          "  - id: only",
          "    steps:",
          "      - id: label",
          "        github: issues.addLabels",
          "        with: { labels: [released] }",
          "",
        ].join("\n"),
      },
    });
    const examples = allExamples();
    const answers: number[] = [];
    for (const ex of examples) {
      const payload = structuredClone(ex.payload) as Record<string, unknown>;
      payload.installation ??= { id: 1, node_id: "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uMQ==" };
      answers.push((await e2e.send(ex.name, payload)).answer.status);
    }
    expect(answers.filter((s) => s < 200 || s > 299)).toEqual([]);
    await e2e.app.worker.drain();
    await e2e.settle();
    const stats = await e2e.app.store.inboxStats();
    expect(stats).toMatchObject({ pending: 0, total: examples.length });
    expect(e2e.app.worker.retrying()).toBe(0);
    expect(await e2e.runs()).toEqual([]);
    expect(e2e.gh.problems).toEqual([]);
    expect(unhandled).toEqual([]);
  } finally {
    process.off("unhandledRejection", onUnhandled);
  }
}, 120_000);
