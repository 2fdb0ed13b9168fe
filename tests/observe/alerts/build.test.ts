import nock from "nock";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Logger } from "../../../src/engine/index.js";
import { FakeClock } from "../../../src/engine/testing/fake-clock.js";
import {
  AlertConfigError,
  createAlertChannels,
  createAlerting,
  loadAlertsConfig,
  type MetricQuery,
  testNotification,
} from "../../../src/observe/alerts/index.js";

const SLACK_PATH = "/services/T2/B2/buildsecretbuildsecret";

beforeAll(() => nock.disableNetConnect());
afterEach(() => {
  expect(nock.pendingMocks()).toEqual([]);
  nock.cleanAll();
});

describe("createAlerting", () => {
  it("wires configured channels, built-in rules and budgets, and evaluates on the clock's schedule", async () => {
    const texts: string[] = [];
    nock("https://hooks.slack.com")
      .post(SLACK_PATH, (b: { text: string }) => (texts.push(b.text), true))
      .times(3)
      .reply(200, "ok");
    const config = loadAlertsConfig({
      file: {
        name: "stageflow.config.yaml",
        value: {
          budgets: [
            { workflow: "release", unit: "http_calls", limit: 100, period: "1h", severity: "medium" },
          ],
        },
      },
      env: { STAGEFLOW_SLACK_WEBHOOK_URL: `https://hooks.slack.com${SLACK_PATH}` },
    });
    const clock = new FakeClock(Date.UTC(2026, 11, 6));
    let memory = 300;
    let calls = 10;
    const asked: MetricQuery[] = [];
    let costsAsked = 0;
    const { manager, dispatcher } = createAlerting({
      config,
      clock,
      read: (q) => {
        asked.push(q);
        return q.metric === "process_memory_mb" ? [{ labels: {}, value: memory }] : [];
      },
      costs: () => (costsAsked++, calls),
    });
    expect(dispatcher.names()).toEqual(["slack"]);
    const stop = manager.start(60_000);

    await clock.advance(60_000);
    await settle(() => costsAsked === 1);
    expect(asked.map((q) => q.metric)).toEqual([
      "error_recovery_success_rate",
      "workflow_duration_p95_ms",
      "template_cache_hit_rate",
      "process_memory_mb",
    ]); // the budget's metric is answered by `costs`
    expect(texts).toEqual([]);

    memory = 900;
    calls = 95;
    await settle(() => clock.pending() === 1);
    await clock.advance(60_000);
    await settle(() => texts.length === 2);
    expect(texts.sort()).toEqual([
      '[stageflow] FIRING medium: cost_budget:release:http_calls {unit="http_calls",workflow="release"}',
      "[stageflow] FIRING medium: memory_usage",
    ]);

    memory = 200;
    await settle(() => clock.pending() === 1); // the next evaluation is scheduled once this one ended
    await clock.advance(60_000);
    await settle(() => texts.length === 3);
    expect(texts[2]).toBe("[stageflow] RESOLVED medium: memory_usage");
    await stop();
    expect(clock.pending()).toBe(0);
  });

  it("hands the host's signal to the dispatcher: aborting it ends a retry's wait", async () => {
    nock("https://hooks.slack.com").post(SLACK_PATH).reply(503, "busy");
    let retrying = () => {};
    const waiting = new Promise<void>((r) => (retrying = r));
    const logger: Logger = {
      debug() {},
      info() {},
      error() {},
      warn: (msg) => void (msg.includes("retrying in") && retrying()),
    };
    const controller = new AbortController();
    const clock = new FakeClock();
    const { dispatcher } = createAlerting({
      config: loadAlertsConfig({
        env: { STAGEFLOW_SLACK_WEBHOOK_URL: `https://hooks.slack.com${SLACK_PATH}` },
      }),
      clock,
      read: () => [],
      logger,
      signal: controller.signal,
    });
    const delivery = dispatcher.deliver(testNotification(clock.now()), ["slack"]);
    await waiting; // the 503 is to be retried
    controller.abort();
    expect(await delivery).toEqual([
      { channel: "slack", ok: false, attempts: 1, error: "aborted: alerting stopped" },
    ]);
    expect(clock.pending()).toBe(0);
  });

  it("needs a token or a client for the GitHub-issue channel, and a cost reader for budgets", () => {
    const config = loadAlertsConfig({ env: { STAGEFLOW_ALERT_GITHUB_REPO: "acme/ops" } });
    expect(() => createAlertChannels(config.channels)).toThrow(AlertConfigError);
    expect(() => createAlertChannels(config.channels)).toThrow(
      /STAGEFLOW_ALERT_GITHUB_TOKEN: required for the github channel/,
    );
    const withBudget = loadAlertsConfig({
      file: {
        name: "f.yaml",
        value: { budgets: [{ workflow: "w", unit: "http_calls", limit: 1, period: "1d" }] },
      },
      env: {},
    });
    expect(() => createAlerting({ config: withBudget, clock: new FakeClock(), read: () => [] })).toThrow(
      /no `costs` reader/,
    );
  });
});

/** Lets deliveries (real fetch through nock) settle; no clock involved. */
async function settle(done: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !done(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(done()).toBe(true);
}
