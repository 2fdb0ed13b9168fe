import type { AddressInfo } from "node:net";
import nock from "nock";
import { SMTPServer } from "smtp-server";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { captureIo, stageflow, tempDir } from "./helpers.js";

const SLACK_PATH = "/services/T9/B9/cliwebhooksecret";
const SLACK_URL = `https://hooks.slack.com${SLACK_PATH}`;

let dir: ReturnType<typeof tempDir>;
beforeAll(() => {
  nock.disableNetConnect();
  nock.enableNetConnect("127.0.0.1");
  dir = tempDir();
});
afterEach(() => {
  expect(nock.pendingMocks()).toEqual([]);
  nock.cleanAll();
});
afterAll(() => {
  nock.enableNetConnect();
  dir.cleanup();
});

describe("stageflow alert test", () => {
  it("sends a test alert through Slack and exits 0", async () => {
    let body: { text?: string } = {};
    nock("https://hooks.slack.com")
      .post(SLACK_PATH, (b: { text?: string }) => ((body = b), true))
      .reply(200, "ok");
    const io = captureIo(dir.dir, { STAGEFLOW_SLACK_WEBHOOK_URL: SLACK_URL });
    const { code, out } = await stageflow(io, "alert", "test", "slack");
    expect(code).toBe(0);
    expect(out).toBe("test alert sent through slack (1 attempt)\n");
    expect(body.text).toBe("[stageflow] TEST low: stageflow_test");
  });

  it("reports a failing channel with exit 1, without the webhook URL", async () => {
    nock("https://hooks.slack.com").post(SLACK_PATH).reply(403, "invalid_token");
    const io = captureIo(dir.dir, { STAGEFLOW_SLACK_WEBHOOK_URL: SLACK_URL });
    const { code, out, err } = await stageflow(io, "alert", "test", "slack", "--json");
    expect(code).toBe(1);
    expect(JSON.parse(out)).toEqual({
      channel: "slack",
      ok: false,
      attempts: 1,
      error: "Slack webhook answered 403: invalid_token",
    });
    expect(out + err).not.toContain("cliwebhooksecret");
  });

  it("sends an e-mail to a real SMTP server configured by STAGEFLOW_SMTP_URL", async () => {
    const subjects: string[] = [];
    const server = new SMTPServer({
      authOptional: true,
      disabledCommands: ["STARTTLS"],
      logger: false,
      onData(stream, _session, callback) {
        let raw = "";
        stream.on("data", (c: Buffer) => (raw += c.toString()));
        stream.on("end", () => {
          subjects.push(/^Subject: (.*)$/m.exec(raw)?.[1]?.trim() ?? "");
          callback();
        });
      },
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    try {
      const port = (server.server.address() as AddressInfo).port;
      const io = captureIo(dir.dir, {
        STAGEFLOW_SMTP_URL: `smtp://127.0.0.1:${port}`,
        STAGEFLOW_ALERT_EMAIL_FROM: "alerts@example.com",
        STAGEFLOW_ALERT_EMAIL_TO: "team@example.com",
      });
      const { code, out } = await stageflow(io, "alert", "test", "email");
      expect({ code, out }).toEqual({ code: 0, out: "test alert sent through email (1 attempt)\n" });
      expect(subjects).toEqual(["[stageflow] TEST low: stageflow_test"]);
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it("reads channels from the configuration file's alerts section", async () => {
    nock("https://hooks.slack.com").post(SLACK_PATH).reply(200, "ok");
    const config = dir.write(
      "alerts.yaml",
      `alerts:\n  channels:\n    slack:\n      webhookUrl: ${SLACK_URL}\n`,
    );
    const io = captureIo(dir.dir, {});
    const { code } = await stageflow(io, "alert", "test", "slack", "--config", config);
    expect(code).toBe(0);
  });

  it("exits 2 naming what to set when the channel is not configured, or the configuration is bad", async () => {
    let r = await stageflow(captureIo(dir.dir, {}), "alert", "test", "pagerduty");
    expect(r.code).toBe(2);
    expect(r.err).toContain("channel 'pagerduty' is not configured: set STAGEFLOW_PAGERDUTY_ROUTING_KEY");

    r = await stageflow(
      captureIo(dir.dir, { STAGEFLOW_SMTP_URL: "smtp://127.0.0.1:25" }),
      "alert",
      "test",
      "email",
    );
    expect(r.code).toBe(2);
    expect(r.err).toContain(
      "STAGEFLOW_ALERT_EMAIL_FROM (or configuration file: alerts.channels.email.from): required",
    );

    r = await stageflow(captureIo(dir.dir, {}), "alert", "test", "sms");
    expect(r.code).toBe(2);
    expect(r.err).toContain("unknown channel 'sms' (expected slack, email, pagerduty, webhook, github)");
  });
});
