import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import nock from "nock";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Logger, LogFields } from "../../../src/engine/index.js";
import { FakeClock, flush } from "../../../src/engine/testing/fake-clock.js";
import {
  type AlertChannel,
  AlertDispatcher,
  AlertManager,
  type AlertNotification,
  type AlertRule,
  pagerDutyChannel,
  slackChannel,
  webhookChannel,
} from "../../../src/observe/alerts/index.js";
import { firing } from "./fixtures.js";

const SLACK_PATH = "/services/T1/B1/secretsecretsecret";
const SLACK_URL = `https://hooks.slack.com${SLACK_PATH}`;
const one = { next: () => 0.999999 }; // full jitter ≈ the whole base delay

function memoryLogger() {
  const lines: string[] = [];
  const waiting: Array<{ pattern: RegExp; resolve: () => void }> = [];
  const log = (level: string) => (msg: string, fields?: LogFields) => {
    const line = `${level} ${msg} ${JSON.stringify(fields ?? {})}`;
    lines.push(line);
    for (const w of waiting.filter((w) => w.pattern.test(line))) {
      waiting.splice(waiting.indexOf(w), 1);
      w.resolve();
    }
  };
  const logger: Logger = { debug: log("debug"), info: log("info"), warn: log("warn"), error: log("error") };
  /** Resolves when a line matching `pattern` is (or was) logged. */
  const logged = (pattern: RegExp) =>
    lines.some((l) => pattern.test(l))
      ? Promise.resolve()
      : new Promise<void>((resolve) => waiting.push({ pattern, resolve }));
  return { lines, logger, logged };
}

/**
 * An HTTP receiver on loopback: records each notification's subject and answers with `answer`
 * (a status and headers, or "hang": no answer until the client gives up).
 */
async function receiver(answer: () => { status: number; headers?: Record<string, string> } | "hang") {
  const subjects: string[] = [];
  const waiting: Array<{ count: number; resolve: () => void }> = [];
  const server = createServer((req, res: ServerResponse) => {
    let raw = "";
    req.on("data", (c: Buffer) => (raw += c.toString()));
    req.on("end", () => {
      const body = JSON.parse(raw) as { subject?: string; text?: string };
      subjects.push(body.subject ?? body.text ?? "?");
      for (const w of waiting.filter((w) => subjects.length >= w.count)) {
        waiting.splice(waiting.indexOf(w), 1);
        w.resolve();
      }
      const a = answer();
      if (a !== "hang") res.writeHead(a.status, a.headers).end(a.status === 429 ? "rate limited" : "");
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/services/T9/B9/receiversecret`,
    subjects,
    /** Resolves once `count` requests have arrived. */
    received: (count: number) =>
      subjects.length >= count
        ? Promise.resolve()
        : new Promise<void>((resolve) => waiting.push({ count, resolve })),
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** A rule that fires when the test sets its metric above 1. */
const ruleOn = (name: string, severity: AlertRule["severity"] = "high"): AlertRule => ({
  name,
  metric: name,
  above: 1,
  severity,
  windowMs: MINUTE,
  description: `${name} is up`,
});

const MINUTE = 60_000;

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

beforeAll(() => {
  nock.disableNetConnect();
  nock.enableNetConnect("127.0.0.1");
});
afterAll(() => nock.enableNetConnect());
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

  it("does not retry when the wait asked for ends past the bound of a delivery's retries (60 s)", async () => {
    const clock = new FakeClock();
    const { lines, logger } = memoryLogger();
    nock("https://hooks.slack.com").post(SLACK_PATH).reply(429, "rate limited", { "Retry-After": "21600" });
    const dispatcher = new AlertDispatcher({
      channels: [slackChannel({ webhookUrl: SLACK_URL })],
      clock,
      random: one,
      logger,
      secrets: [SLACK_URL],
    });
    const sleeps: number[] = [];
    expect(await drive(clock, dispatcher.deliver(firing()), sleeps)).toEqual([
      { channel: "slack", ok: false, attempts: 1, error: "Slack webhook answered 429: rate limited" },
    ]);
    expect(sleeps).toEqual([]); // six hours are not waited for
    expect(lines.at(-1)).toMatch(
      /^error .*not retried: the wait asked \(21600000 ms\) ends past the 60000 ms/,
    );

    // Backoff too: http_429 doubles from 5 s (jitter at its top); a fourth wait (40 s) would end
    // 75 s after the first attempt.
    nock("https://hooks.slack.com").post(SLACK_PATH).times(4).reply(429, "rate limited");
    const backoff: number[] = [];
    const [result] = await drive(clock, dispatcher.deliver(firing()), backoff);
    expect(result).toMatchObject({ channel: "slack", ok: false, attempts: 4 });
    expect(backoff).toEqual([5000, 10_000, 20_000]);
    expect(lines.join("\n")).not.toContain("secretsecret");
  });
});

/** Rules `a` and `b` firing while `values` holds them, delivered to Slack and a webhook. */
function slackAndWebhook(
  values: Map<string, number>,
  slackUrl: string,
  hookUrl: string,
  clock: FakeClock,
  logger?: Logger,
): AlertManager {
  return new AlertManager({
    rules: [ruleOn("a"), ruleOn("b")],
    read: ({ metric }) => (values.has(metric) ? [{ labels: {}, value: values.get(metric)! }] : []),
    clock,
    sink: new AlertDispatcher({
      channels: [slackChannel({ webhookUrl: slackUrl }), webhookChannel({ url: hookUrl })],
      clock,
      random: one,
      ...(logger ? { logger } : {}),
    }),
  });
}

describe("alert delivery on the manager's schedule", () => {
  it("a channel answering 429 with a Retry-After of hours delays no alert to another channel", async () => {
    const clock = new FakeClock(Date.UTC(2026, 0, 1));
    const slack = await receiver(() => ({ status: 429, headers: { "retry-after": "21600" } }));
    const hook = await receiver(() => ({ status: 204 }));
    try {
      const values = new Map([["a", 10]]);
      const manager = slackAndWebhook(values, slack.url, hook.url, clock);
      const stop = manager.start(MINUTE);
      await clock.advance(MINUTE); // a fires: the webhook delivers, Slack answers 429
      await manager.idle();
      expect(hook.subjects).toEqual(["[stageflow] FIRING high: a"]);
      expect(clock.pending()).toBe(1); // the next evaluation only: no wait of six hours

      values.set("b", 10); // a second, unrelated alert
      await clock.advance(MINUTE);
      await manager.idle();
      expect(hook.subjects).toEqual(["[stageflow] FIRING high: a", "[stageflow] FIRING high: b"]);
      // Slack was asked once per notification, and not again.
      await clock.advance(60 * MINUTE);
      await manager.idle();
      expect(slack.subjects).toEqual(["[stageflow] FIRING high: a", "[stageflow] FIRING high: b"]);
      await stop();
    } finally {
      await Promise.all([slack.close(), hook.close()]);
    }
  });

  it("goes on evaluating while a channel waits to retry; that channel then delivers in order", async () => {
    const clock = new FakeClock(Date.UTC(2026, 0, 1));
    const { logger, logged } = memoryLogger();
    let slackCalls = 0;
    const slack = await receiver(() =>
      ++slackCalls === 1 ? { status: 429, headers: { "retry-after": "50" } } : { status: 200 },
    );
    const hook = await receiver(() => ({ status: 204 }));
    try {
      const values = new Map([["a", 10]]);
      const manager = slackAndWebhook(values, slack.url, hook.url, clock, logger);
      const stop = manager.start(10_000);
      await clock.advance(10_000); // a fires; Slack is to be retried in 50 s
      await logged(/retrying in 50000 ms/);
      await hook.received(1);
      expect(clock.pending()).toBe(2); // the next evaluation is scheduled as well as Slack's retry

      values.set("b", 10);
      await clock.advance(10_000); // the next evaluation, while Slack waits
      await hook.received(2);
      expect(hook.subjects).toEqual(["[stageflow] FIRING high: a", "[stageflow] FIRING high: b"]);
      expect(slack.subjects).toEqual(["[stageflow] FIRING high: a"]); // not retried yet

      await clock.advance(40_000); // 50 s after the 429
      await slack.received(3);
      // The retry of a, then b, which waited behind it on this channel.
      expect(slack.subjects).toEqual([
        "[stageflow] FIRING high: a",
        "[stageflow] FIRING high: a",
        "[stageflow] FIRING high: b",
      ]);
      await stop();
    } finally {
      await Promise.all([slack.close(), hook.close()]);
    }
  });

  it("stop() ends a retry's wait and a hanging request, resolves, and no channel is called again", async () => {
    const clock = new FakeClock(Date.UTC(2026, 0, 1));
    const { lines, logger, logged } = memoryLogger();
    const failing = await receiver(() => ({ status: 503 }));
    const hanging = await receiver(() => "hang");
    try {
      const manager = new AlertManager({
        rules: [ruleOn("a", "critical")],
        read: () => [{ labels: {}, value: 10 }],
        clock,
        sink: new AlertDispatcher({
          channels: [
            webhookChannel({ url: failing.url }),
            pagerDutyChannel({ routingKey: "0123456789abcdef0123456789abcdef", url: hanging.url }),
          ],
          clock,
          random: one,
          logger,
        }),
      });
      const stop = manager.start(MINUTE);
      await clock.advance(MINUTE);
      await logged(/channel webhook failed .*retrying in 2000 ms/); // http_5xx: from 2 s
      await hanging.received(1);

      await stop(); // resolves: nothing is left in flight
      expect(clock.pending()).toBe(0);
      expect(lines.filter((l) => l.includes("abandoned (stopping)"))).toHaveLength(2);
      await clock.advance(60 * MINUTE);
      expect(failing.subjects).toHaveLength(1);
      expect(hanging.subjects).toHaveLength(1);
    } finally {
      await Promise.all([failing.close(), hanging.close()]);
    }
  });

  it("stop() in the middle of an evaluation waits for it, and what it hands over is not sent", async () => {
    const clock = new FakeClock(Date.UTC(2026, 0, 1));
    let release = () => {};
    const gate = new Promise<void>((r) => (release = r));
    const webhook = recorder("webhook");
    const manager = new AlertManager({
      rules: [ruleOn("a")],
      read: async () => {
        await gate;
        return [{ labels: {}, value: 10 }];
      },
      clock,
      sink: new AlertDispatcher({ channels: [webhook], clock }),
    });
    const stop = manager.start(MINUTE);
    await clock.advance(MINUTE); // the evaluation waits for its read
    let stopped = false;
    const stopping = stop().then(() => (stopped = true));
    await flush();
    expect(stopped).toBe(false);
    release(); // a fires, after the stop
    await stopping;
    expect(webhook.got).toEqual([]);
    expect(clock.pending()).toBe(0);
  });
});
