import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import nock from "nock";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  pagerDutyChannel,
  slackChannel,
  testNotification,
  webhookChannel,
} from "../../../src/observe/alerts/index.js";
import { firing, resolved } from "./fixtures.js";

const SLACK_PATH = "/services/T000/B000/XXXXXXXXXXXXXXXXXXXXXXXX";
const SLACK_URL = `https://hooks.slack.com${SLACK_PATH}`;
const ROUTING_KEY = "0123456789abcdef0123456789abcdef";

beforeAll(() => {
  nock.disableNetConnect();
  nock.enableNetConnect("127.0.0.1");
});
afterEach(() => {
  expect(nock.pendingMocks()).toEqual([]);
  nock.cleanAll();
});
afterAll(() => nock.enableNetConnect());

describe("Slack incoming webhook", () => {
  it("posts the subject as text and the body in blocks", async () => {
    let body: unknown;
    nock("https://hooks.slack.com")
      .matchHeader("content-type", "application/json")
      .post(SLACK_PATH, (b: unknown) => ((body = b), true))
      .reply(200, "ok");
    await slackChannel({ webhookUrl: SLACK_URL }).send(firing());
    expect(body).toEqual({
      text: '[stageflow] FIRING critical: workflow_p95_latency {workflow="release"}',
      blocks: [
        {
          type: "header",
          text: {
            type: "plain_text",
            text: '[stageflow] FIRING critical: workflow_p95_latency {workflow="release"}',
          },
        },
        {
          type: "section",
          text: {
            type: "mrkdwn",
            text: expect.stringContaining("workflow=release: 7200 since 2026-12-06T03:00:00.000Z"),
          },
        },
      ],
    });
  });

  it("fails with Slack's status and words, never the webhook URL", async () => {
    nock("https://hooks.slack.com").post(SLACK_PATH).reply(404, "no_service");
    const error = await slackChannel({ webhookUrl: SLACK_URL })
      .send(firing())
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 404, message: "Slack webhook answered 404: no_service" });
    expect(String((error as Error).message)).not.toContain("XXXX");
  });
});

describe("PagerDuty Events v2", () => {
  const url = "https://events.pagerduty.com";

  it("triggers with the group's dedup_key and maps the severity", async () => {
    let event: unknown;
    nock(url)
      .post("/v2/enqueue", (b: unknown) => ((event = b), true))
      .reply(202, { status: "success", message: "Event processed", dedup_key: "x" });
    await pagerDutyChannel({ routingKey: ROUTING_KEY }).send(firing({ severity: "high" }));
    expect(event).toEqual({
      routing_key: ROUTING_KEY,
      dedup_key: 'stageflow/workflow_p95_latency{workflow="release"}',
      event_action: "trigger",
      payload: {
        summary: '[stageflow] FIRING high: workflow_p95_latency {workflow="release"}',
        severity: "error",
        source: "stageflow",
        component: "workflow_duration_p95_ms",
        group: "workflow_p95_latency",
        class: "threshold",
        timestamp: "2026-12-06T03:00:00.000Z",
        custom_details: {
          description: "Workflow p95 latency exceeded 5 seconds",
          condition: "workflow_duration_p95_ms above 5000",
          labels: { workflow: "release" },
          alerts: [{ labels: { workflow: "release" }, value: 7200, since: "2026-12-06T03:00:00.000Z" }],
          tier: 0,
        },
      },
    });
  });

  it("resolves with the same dedup_key", async () => {
    let event: unknown;
    nock(url)
      .post("/v2/enqueue", (b: unknown) => ((event = b), true))
      .reply(202, { status: "success" });
    await pagerDutyChannel({ routingKey: ROUTING_KEY }).send(resolved());
    expect(event).toEqual({
      routing_key: ROUTING_KEY,
      dedup_key: 'stageflow/workflow_p95_latency{workflow="release"}',
      event_action: "resolve",
    });
  });

  it("a test triggers and resolves, leaving no incident open", async () => {
    const actions: string[] = [];
    nock(url)
      .post("/v2/enqueue", (b: { event_action: string }) => (actions.push(b.event_action), true))
      .times(2)
      .reply(202, { status: "success" });
    await pagerDutyChannel({ routingKey: ROUTING_KEY }).send(testNotification(Date.UTC(2026, 11, 6)));
    expect(actions).toEqual(["trigger", "resolve"]);
  });

  it("carries a 429's retry-after to the error (for the retry decision)", async () => {
    nock(url).post("/v2/enqueue").reply(429, "{}", { "Retry-After": "7" });
    await expect(pagerDutyChannel({ routingKey: ROUTING_KEY }).send(firing())).rejects.toMatchObject({
      status: 429,
      headers: expect.objectContaining({ "retry-after": "7" }),
    });
  });
});

describe("generic webhook, to a real server on loopback", () => {
  let server: Server;
  let base: string;
  const seen: Array<{ method: string; headers: IncomingMessage["headers"]; body: unknown }> = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      let raw = "";
      req.on("data", (c: Buffer) => (raw += c.toString()));
      req.on("end", () => {
        seen.push({ method: req.method!, headers: req.headers, body: JSON.parse(raw) });
        res.writeHead(req.url === "/fail" ? 500 : 204).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it("posts the notification as JSON with its headers", async () => {
    seen.length = 0;
    await webhookChannel({ url: `${base}/hook`, headers: { authorization: "Bearer hook-token-123" } }).send(
      firing(),
    );
    expect(seen).toHaveLength(1);
    expect(seen[0]!.method).toBe("POST");
    expect(seen[0]!.headers["content-type"]).toBe("application/json");
    expect(seen[0]!.headers.authorization).toBe("Bearer hook-token-123");
    expect(seen[0]!.body).toEqual({
      version: 1,
      source: "stageflow",
      subject: '[stageflow] FIRING critical: workflow_p95_latency {workflow="release"}',
      text: expect.stringContaining("Workflow p95 latency exceeded 5 seconds"),
      status: "firing",
      groupKey: 'workflow_p95_latency{workflow="release"}',
      rule: "workflow_p95_latency",
      metric: "workflow_duration_p95_ms",
      severity: "critical",
      description: "Workflow p95 latency exceeded 5 seconds",
      condition: { op: "above", threshold: 5000 },
      labels: { workflow: "release" },
      alerts: [{ labels: { workflow: "release" }, value: 7200, activeAt: "2026-12-06T03:00:00.000Z" }],
      startsAt: "2026-12-06T03:00:00.000Z",
      endsAt: null,
      tier: 0,
      sequence: 1,
    });
  });

  it("fails with the status on a 5xx, and with the network code when nothing listens", async () => {
    await expect(webhookChannel({ url: `${base}/fail` }).send(firing())).rejects.toMatchObject({
      status: 500,
    });
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    await expect(webhookChannel({ url: `http://127.0.0.1:${port}/x` }).send(firing())).rejects.toMatchObject({
      code: "ECONNREFUSED",
    });
  });
});
