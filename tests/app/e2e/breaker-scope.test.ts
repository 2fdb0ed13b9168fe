/**
 * GitHub as a dependency, per installation: the circuit breaker of `api.github.com` that one
 * installation's failures open does not stop another installation's runs.
 */
import { afterEach, expect, it } from "vitest";
import { type E2E, labeled, startE2E, until } from "./harness.js";

let e2e: E2E | undefined;
afterEach(async () => {
  await e2e?.close();
  e2e = undefined;
});

const WORKFLOW = [
  "name: triage",
  "on: { labels: [triage] }",
  "stages:",
  "  - id: only",
  "    steps:",
  "      - id: label",
  "        github: issues.addLabels",
  "        with: { labels: [triaged] }",
  "recovery:",
  "  - id: outage", // each failure ends its run at once: no real-time backoff in this test
  "    match: answered 502",
  "    type: network",
  "    strategy: fail",
  "    priority: 1000",
  "",
].join("\n");

const onInstallation = (id: number) => {
  const payload = labeled("triage");
  payload.installation = { id, node_id: `installation-${id}` };
  return payload;
};

it("an outage seen by installation 1 opens its breaker only: installation 2's run still calls GitHub", async () => {
  e2e = await startE2E({ workflows: { "triage.yml": WORKFLOW } });
  const e = e2e;
  e.gh.fail({ operation: "issues/add-labels", status: 502, times: 5 });
  const calls = () => e.requestsOf("issues/add-labels").length;
  const runOf = async (id: string) => (await e.runs()).find((r) => r.key === `delivery:${id}:triage`);

  // Five runs of installation 1 fail on 502s, one call each: five failures in a row open
  // installation 1's breaker.
  for (let i = 0; i < 5; i++) await e.deliver("issues", onInstallation(1));
  expect(calls()).toBe(5);
  expect((await e.runs()).map((r) => r.status)).toEqual(Array(5).fill("failed"));
  // Its next run does not call GitHub: installation 1's breaker refuses the call.
  const { id: secondId } = await e.deliver("issues", onInstallation(1));
  expect(calls()).toBe(5);
  expect(JSON.stringify((await runOf(secondId))?.error)).toMatch(/installation:1\/api\.github\.com/);

  // Installation 2's run calls GitHub and succeeds meanwhile.
  const { id: otherId } = await e.send("issues", onInstallation(2));
  await until(
    async () => (await runOf(otherId))?.status === "succeeded",
    async () => `installation 2's run to succeed: ${JSON.stringify(await runOf(otherId))}`,
  );
  expect(calls()).toBe(6);
  expect((await runOf(secondId))?.status).toBe("failed");
  expect(e.gh.problems).toEqual([]);
});
