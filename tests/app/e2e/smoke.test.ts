import { afterEach, expect, it } from "vitest";
import { type E2E, labeled, startE2E } from "./harness.js";

let e2e: E2E | undefined;
afterEach(async () => {
  await e2e?.close();
  e2e = undefined;
});

it("a signed issues.labeled delivery starts the labelled workflow and its status comment ends succeeded", async () => {
  e2e = await startE2E({
    workflows: {
      "triage.yml": [
        "name: triage",
        "on: { labels: [triage] }",
        "stages:",
        "  - id: only",
        "    steps:",
        "      - id: label",
        "        github: issues.addLabels",
        "        with: { labels: [triaged] }",
        "",
      ].join("\n"),
    },
  });
  const { answer } = await e2e.deliver("issues", labeled("triage"));
  expect(answer.status).toBe(202);
  const [run] = await e2e.runs();
  expect(run?.workflow).toBe("triage");
  expect(run?.status).toBe("succeeded");
  expect(e2e.requestsOf("issues/add-labels").length).toBeGreaterThan(0);
  expect(e2e.statusComments()).toHaveLength(1);
  expect(e2e.gh.problems).toEqual([]);
});
