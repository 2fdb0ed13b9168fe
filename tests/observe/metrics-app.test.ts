/**
 * `/metrics` of the whole app (startApp over real HTTP on loopback, the fake GitHub), parsed as
 * Prometheus text after a known workflow ran from a signed delivery.
 */
import { afterEach, expect, it } from "vitest";
import { type E2E, labeled, startE2E, until } from "../app/e2e/harness.js";
import { parseExposition } from "../support/prom-text.js";

const TRIAGE = [
  "name: triage",
  "on: { labels: [triage] }",
  "stages:",
  "  - id: only",
  "    steps:",
  "      - id: label",
  "        github: issues.addLabels",
  "        with: { labels: [triaged] }",
  "",
].join("\n");

let e2e: E2E | undefined;
afterEach(async () => {
  await e2e?.close();
  e2e = undefined;
});

const scrape = async (port: number, method = "GET") => {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`, { method });
  return { status: res.status, type: res.headers.get("content-type"), text: await res.text() };
};

it("serves the app's metrics at /metrics after a workflow ran from a delivery", async () => {
  e2e = await startE2E({ workflows: { "triage.yml": TRIAGE } });
  const payload = labeled("triage");
  const { id } = await e2e.deliver("issues", payload);
  await e2e.send("issues", payload, id); // a redelivery: recorded once
  await e2e.settle();

  const res = await scrape(e2e.app.port);
  expect(res.status).toBe(200);
  expect(res.type).toBe("text/plain; version=0.0.4; charset=utf-8");
  const x = parseExposition(res.text);
  const run = { workflow: "triage", status: "succeeded" };
  expect(x.value("stageflow_runs_started_total", { workflow: "triage" })).toBe(1);
  expect(x.value("stageflow_runs_finished_total", run)).toBe(1);
  expect(x.value("workflow_duration_ms_count", run)).toBe(1);
  expect(x.value("stageflow_step_attempts_total", { kind: "github", outcome: "succeeded" })).toBe(1);
  expect(
    x.value("stageflow_webhook_deliveries_received_total", { event: "issues", outcome: "recorded" }),
  ).toBe(1);
  expect(
    x.value("stageflow_webhook_deliveries_received_total", { event: "issues", outcome: "redelivered" }),
  ).toBe(1);
  expect(x.value("stageflow_webhook_deliveries_handled_total", { event: "issues", outcome: "done" })).toBe(1);
  expect(x.value("stageflow_inbox_pending")).toBe(0);
  expect(x.value("stageflow_inbox_lag_ms")).toBe(0);

  // Every request GitHub received (the installation's token included) was counted under its id.
  const installation = String(payload.installation?.id);
  const calls = x.find("stageflow_github_api_calls_total", { installation });
  expect(calls.length).toBeGreaterThan(0);
  expect(calls.every((s) => /^[1-5]\d\d$/.test(s.labels.status ?? ""))).toBe(true);
  expect(x.value("stageflow_github_api_calls_total", { installation, status: "200" })).toBeGreaterThan(0);
  expect(x.sum("stageflow_github_api_calls_total", { installation })).toBe(e2e.gh.requests.length);

  // The reporter rendered the check run and the comment through the renderer's cache.
  expect(x.sum("template_cache_hits_total") + x.sum("template_cache_misses_total")).toBeGreaterThan(0);
  expect(x.value("process_resident_memory_bytes")).toBeGreaterThan(0);

  expect((await scrape(e2e.app.port, "POST")).status).toBe(405);
  expect((await fetch(`http://127.0.0.1:${e2e.app.port}/nowhere`)).status).toBe(404);
});

it("a restarted app shows the counters of the runs already recorded", async () => {
  e2e = await startE2E({ workflows: { "triage.yml": TRIAGE } });
  await e2e.deliver("issues", labeled("triage"));
  await e2e.deliver("issues", labeled("triage"));
  const before = parseExposition((await scrape(e2e.app.port)).text);
  expect(before.value("stageflow_runs_finished_total", { workflow: "triage", status: "succeeded" })).toBe(2);

  await e2e.restart();
  const port = e2e.app.port;
  let after = parseExposition((await scrape(port)).text);
  await until(async () => {
    after = parseExposition((await scrape(port)).text);
    return after.value("stageflow_runs_finished_total", { workflow: "triage", status: "succeeded" }) === 2;
  });
  for (const name of [
    "stageflow_step_attempts_total",
    "workflow_duration_ms_sum",
    "workflow_duration_ms_count",
  ])
    expect(after.find(name)).toEqual(before.find(name));
});
