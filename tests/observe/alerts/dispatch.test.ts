import nock from "nock";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Logger, LogFields } from "../../../src/engine/index.js";
import { FakeClock } from "../../../src/engine/testing/fake-clock.js";
import {
  type AlertChannel,
  AlertDispatcher,
  AlertManager,
  type AlertNotification,
  slackChannel,
} from "../../../src/observe/alerts/index.js";
import { firing } from "./fixtures.js";

const SLACK_PATH = "/services/T1/B1/secretsecretsecret";
const SLACK_URL = `https://hooks.slack.com${SLACK_PATH}`;
const one = { next: () => 0.999999 }; // full jitter ≈ the whole base delay

function memoryLogger() {
  const lines: string[] = [];
  const log = (level: string) => (msg: string, fields?: LogFields) =>
    lines.push(`${level} ${msg} ${JSON.stringify(fields ?? {})}`);
  const logger: Logger = { debug: log("debug"), info: log("info"), warn: log("warn"), error: log("error") };
  return { lines, logger };
}

function recorder(name: string): AlertChannel & { got: AlertNotification[] } {
  const got: AlertNotification[] = [];
  return { name, got, send: async (n) => void got.push(n) };
}

/** Runs `promise` to its end, firing the fake clock's timers as they come (records each sleep). */
async function drive<T>(clock: FakeClock, promise: Promise<T>, sleeps: number[]): Promise<T> {
  let done = false;
  const result = promise.finally(() => (done = true));
  while (!done) {
    await new Promise((r) => setImmediate(r));
    if (done) break;
    const before = clock.now();
    if (await clock.runNext()) sleeps.push(clock.now() - before);
  }
  return result;
}

beforeAll(() => nock.disableNetConnect());
afterEach(() => {
  expect(nock.pendingMocks()).toEqual([]);
  nock.cleanAll();
});

describe("AlertDispatcher", () => {
  it("retries a failing channel with the engine's backoff on the clock while the others deliver", async () => {
    const clock = new FakeClock();
    const { lines, logger } = memoryLogger();
    nock("https://hooks.slack.com")
      .post(SLACK_PATH)
      .times(2)
      .reply(503, "busy")
      .post(SLACK_PATH)
      .reply(200, "ok");
    const email = recorder("email");
    const webhook = recorder("webhook");
    const dispatcher = new AlertDispatcher({
      channels: [slackChannel({ webhookUrl: SLACK_URL }), email, webhook],
      clock,
      random: one,
      logger,
      secrets: [SLACK_URL],
    });
    const sleeps: number[] = [];
    const results = await drive(
      clock,
      dispatcher.deliver(firing(), ["slack", "email", "webhook", "pagerduty"]),
      sleeps,
    );
    expect(results).toEqual([
      { channel: "slack", ok: true, attempts: 3 },
      { channel: "email", ok: true, attempts: 1 },
      { channel: "webhook", ok: true, attempts: 1 },
    ]);
    expect(email.got).toHaveLength(1);
    expect(webhook.got).toHaveLength(1);
    // The built-in http_5xx pattern: exponential from 2 s (full jitter, here at its top).
    expect(sleeps).toEqual([2000, 4000]);
    expect(lines.filter((l) => l.startsWith("warn"))).toHaveLength(2);
    expect(lines.join("\n")).not.toContain("secretsecret");
  });

  it("honours Retry-After on a 429", async () => {
    const clock = new FakeClock();
    nock("https://hooks.slack.com")
      .post(SLACK_PATH)
      .reply(429, "slow down", { "Retry-After": "30" })
      .post(SLACK_PATH)
      .reply(200, "ok");
    const dispatcher = new AlertDispatcher({
      channels: [slackChannel({ webhookUrl: SLACK_URL })],
      clock,
      random: one,
    });
    const sleeps: number[] = [];
    const results = await drive(clock, dispatcher.deliver(firing()), sleeps);
    expect(results).toEqual([{ channel: "slack", ok: true, attempts: 2 }]);
    expect(sleeps).toEqual([30_000]);
  });

  it("gives up at once on an error no pattern retries (a 404), and after the pattern's attempts on a 5xx", async () => {
    const clock = new FakeClock();
    const { lines, logger } = memoryLogger();
    nock("https://hooks.slack.com").post(SLACK_PATH).reply(404, "no_service");
    const dispatcher = new AlertDispatcher({
      channels: [slackChannel({ webhookUrl: SLACK_URL })],
      clock,
      logger,
      secrets: [SLACK_URL],
    });
    expect(await dispatcher.deliver(firing())).toEqual([
      { channel: "slack", ok: false, attempts: 1, error: "Slack webhook answered 404: no_service" },
    ]);
    expect(lines.at(-1)).toMatch(/^error alert workflow_p95_latency: channel slack failed after 1 attempt/);

    nock("https://hooks.slack.com").post(SLACK_PATH).times(4).reply(502, "bad gateway");
    const sleeps: number[] = [];
    const [result] = await drive(clock, dispatcher.deliver(firing()), sleeps);
    expect(result).toMatchObject({ channel: "slack", ok: false, attempts: 4 }); // http_5xx allows 4
    expect(sleeps).toHaveLength(3);
  });

  it("a channel that throws does not stop the others, through the manager end to end", async () => {
    const clock = new FakeClock();
    let calls = 0;
    const flaky: AlertChannel = {
      name: "pagerduty",
      async send() {
        calls++;
        if (calls < 3)
          throw Object.assign(new Error("connect ECONNRESET 10.0.0.1:443"), { code: "ECONNRESET" });
      },
    };
    const slack = recorder("slack");
    const dispatcher = new AlertDispatcher({ channels: [flaky, slack], clock, random: one });
    const manager = new AlertManager({
      rules: [
        {
          name: "memory_usage",
          metric: "process_memory_mb",
          above: 512,
          severity: "critical",
          windowMs: 1_800_000,
          description: "Memory usage exceeded 512MB",
        },
      ],
      read: () => [{ labels: {}, value: 700 }],
      clock,
      sink: dispatcher,
    });
    const sleeps: number[] = [];
    const sent = await drive(clock, manager.evaluate(), sleeps);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.results).toEqual([
      { channel: "pagerduty", ok: true, attempts: 3 },
      { channel: "slack", ok: true, attempts: 1 },
    ]);
    expect(slack.got.map((n) => n.status)).toEqual(["firing"]);
    expect(sleeps).toEqual([1000, 2000]); // the built-in network pattern: from 1 s
  });
});
