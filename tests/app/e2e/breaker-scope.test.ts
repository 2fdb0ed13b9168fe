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
  "        retry: { max_attempts: 6, base_delay: 10ms, max_delay: 10ms }",
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
  const runOf = async (id: string) => (await e.runs()).find((r) => r.key === `delivery:${id}`);

  // Installation 1's first run fails on 502s; its second run's first failure is the fifth in a
  // row, which opens installation 1's breaker: that run then waits for the breaker's probe.
  await e.deliver("issues", onInstallation(1));
  const first = calls();
  expect((await e.runs())[0]?.status).toBe("failed");
  const { id: secondId } = await e.send("issues", onInstallation(1));
  await until(
    async () => calls() === 5,
    () => `5 calls, got ${calls()}`,
  );

  // Installation 2's run calls GitHub and succeeds meanwhile.
  const { id: otherId } = await e.send("issues", onInstallation(2));
  await until(
    async () => (await runOf(otherId))?.status === "succeeded",
    async () => `installation 2's run to succeed: ${JSON.stringify(await runOf(otherId))}`,
  );
  expect(calls()).toBe(6);
  expect(first).toBe(4);
  const second = await runOf(secondId);
  expect(second?.status).not.toBe("succeeded");
  const attempts = (await e.engine.report(second!.id)).attempts;
  expect(attempts.map((x) => x.error?.code)).toContain("github_502");
  expect(e.gh.problems).toEqual([]);
  await e.engine.cancel(second!.id);
});
