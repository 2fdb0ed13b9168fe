import type { AddressInfo } from "node:net";
import { SMTPServer } from "smtp-server";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { emailChannel } from "../../../src/observe/alerts/index.js";
import { firing, resolved } from "./fixtures.js";
import { parseMail } from "./mail.js";

interface Received {
  from: string;
  to: string[];
  raw: string;
  user?: string;
}

let server: SMTPServer;
let port: number;
let received: Received[];

function start(options: { requireAuth?: boolean } = {}) {
  received = [];
  server = new SMTPServer({
    authOptional: !options.requireAuth,
    disabledCommands: ["STARTTLS"],
    logger: false,
    onAuth(auth, _session, callback) {
      if (auth.username === "alerts" && auth.password === "s3cret-pass")
        callback(null, { user: auth.username });
      else callback(new Error("Invalid username or password"));
    },
    onData(stream, session, callback) {
      let raw = "";
      stream.setEncoding("utf8");
      stream.on("data", (chunk: string) => (raw += chunk));
      stream.on("end", () => {
        received.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
          to: session.envelope.rcptTo.map((r) => r.address),
          raw,
          ...(typeof session.user === "string" ? { user: session.user } : {}),
        });
        callback();
      });
    },
  });
  return new Promise<void>((resolve) =>
    server.listen(0, "127.0.0.1", () => {
      port = (server.server.address() as AddressInfo).port;
      resolve();
    }),
  );
}

afterEach(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe("the e-mail channel, against a real SMTP server on loopback", () => {
  beforeEach(() => start());

  it("delivers a firing alert with the [stageflow] subject and the values in the body", async () => {
    const channel = emailChannel({
      url: `smtp://127.0.0.1:${port}`,
      from: "alerts@example.com",
      to: ["team@example.com", "oncall@example.com"],
    });
    await channel.send(firing());
    expect(received).toHaveLength(1);
    const mail = received[0]!;
    expect(mail.from).toBe("alerts@example.com");
    expect(mail.to).toEqual(["team@example.com", "oncall@example.com"]);
    const parsed = parseMail(mail.raw);
    expect(parsed.subject).toBe('[stageflow] FIRING critical: workflow_p95_latency {workflow="release"}');
    expect(parsed.text).toContain("Workflow p95 latency exceeded 5 seconds");
    expect(parsed.text).toContain(
      "Rule: workflow_p95_latency (workflow_duration_p95_ms above 5000), severity critical.",
    );
    expect(parsed.text).toContain(
      "- workflow_duration_p95_ms workflow=release: 7200 since 2026-12-06T03:00:00.000Z",
    );
    expect(parsed.headers.get("x-stageflow-alert")).toBe('workflow_p95_latency{workflow="release"}');
  });

  it("delivers the resolved notice", async () => {
    const channel = emailChannel({
      url: `smtp://127.0.0.1:${port}`,
      from: "alerts@example.com",
      to: ["team@example.com"],
    });
    await channel.send(resolved());
    const parsed = parseMail(received[0]!.raw);
    expect(parsed.subject).toMatch(/^\[stageflow\] RESOLVED critical: workflow_p95_latency/);
    expect(parsed.text).toContain("Resolved at 2026-12-06T03:10:00.000Z.");
  });
});

describe("the e-mail channel with credentials", () => {
  beforeEach(() => start({ requireAuth: true }));

  it("logs in with the user and password given apart from the URL", async () => {
    const channel = emailChannel({
      url: `smtp://127.0.0.1:${port}`,
      user: "alerts",
      password: "s3cret-pass",
      from: "alerts@example.com",
      to: ["team@example.com"],
    });
    await channel.send(firing());
    expect(received[0]!.user).toBe("alerts");
  });

  it("logs in with credentials in the URL, and a wrong password fails", async () => {
    await emailChannel({
      url: `smtp://alerts:s3cret-pass@127.0.0.1:${port}`,
      from: "a@example.com",
      to: ["b@example.com"],
    }).send(firing());
    expect(received).toHaveLength(1);
    const wrong = emailChannel({
      url: `smtp://alerts:nope-nope@127.0.0.1:${port}`,
      from: "a@example.com",
      to: ["b@example.com"],
    });
    await expect(wrong.send(firing())).rejects.toThrow(/Invalid/);
  });
});
