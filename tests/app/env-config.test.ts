import { describe, expect, it } from "vitest";
import { readAppConfig } from "../../src/app/env-config.js";

const PEM = "-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n";

describe("readAppConfig", () => {
  it("has Probot's defaults and stageflow's", () => {
    const c = readAppConfig({}, { cwd: "/srv/app" });
    expect(c).toMatchObject({
      appId: undefined,
      privateKey: undefined,
      webhookSecret: undefined,
      port: 3000,
      host: undefined,
      baseUrl: "https://api.github.com",
      logLevel: "info",
      webhookPath: "/api/github/webhooks",
      dbPath: "/srv/app/.stageflow/app.db",
      allowRunSteps: false,
      reconcile: { enabled: true, intervalMs: 600_000 },
    });
  });

  it("reads every variable", () => {
    const c = readAppConfig(
      {
        APP_ID: "42",
        PRIVATE_KEY: PEM.replace(/\n/g, "\\n"),
        WEBHOOK_SECRET: "s",
        PORT: "8080",
        HOST: "0.0.0.0",
        GHE_HOST: "ghe.example.com",
        GHE_PROTOCOL: "http",
        LOG_LEVEL: "DEBUG",
        WEBHOOK_PATH: "/hooks",
        STAGEFLOW_DB: "/var/lib/stageflow.db",
        STAGEFLOW_ALLOW_RUN_STEPS: "yes",
        STAGEFLOW_RECONCILE_MINUTES: "0",
      },
      { cwd: "/srv" },
    );
    expect(c).toMatchObject({
      appId: 42,
      privateKey: PEM,
      webhookSecret: "s",
      port: 8080,
      host: "0.0.0.0",
      baseUrl: "http://ghe.example.com/api/v3",
      logLevel: "debug",
      webhookPath: "/hooks",
      dbPath: "/var/lib/stageflow.db",
      allowRunSteps: true,
      reconcile: { enabled: false },
    });
  });

  it("takes the key as base64, or from PRIVATE_KEY_PATH", () => {
    expect(readAppConfig({ PRIVATE_KEY: Buffer.from(PEM).toString("base64") }).privateKey).toBe(PEM);
    const files: Record<string, string> = { "/keys/app.pem": PEM };
    const readFile = (p: string) => {
      const text = files[p];
      if (text === undefined) throw new Error("ENOENT: no such file");
      return text;
    };
    expect(readAppConfig({ PRIVATE_KEY_PATH: "app.pem" }, { cwd: "/keys", readFile }).privateKey).toBe(PEM);
    expect(() => readAppConfig({ PRIVATE_KEY_PATH: "missing.pem" }, { cwd: "/keys", readFile })).toThrow(
      /PRIVATE_KEY_PATH: cannot read missing.pem: ENOENT/,
    );
  });

  it.each([
    [{ APP_ID: "abc" }, /APP_ID must be a whole number, got "abc"/],
    [{ PORT: "-1" }, /PORT must be a whole number/],
    [{ LOG_LEVEL: "loud" }, /LOG_LEVEL must be one of trace, debug, info, warn, error, fatal, got "loud"/],
    [{ GHE_HOST: "x", GHE_PROTOCOL: "ftp" }, /GHE_PROTOCOL must be http or https/],
    [{ WEBHOOK_PATH: "hooks" }, /WEBHOOK_PATH must start with "\/"/],
    [{ STAGEFLOW_ALLOW_RUN_STEPS: "maybe" }, /STAGEFLOW_ALLOW_RUN_STEPS must be true or false/],
    [{ STAGEFLOW_RECONCILE_MINUTES: "soon" }, /STAGEFLOW_RECONCILE_MINUTES must be a number/],
    [{ PRIVATE_KEY: "not a key" }, /PRIVATE_KEY is neither a PEM key nor base64 of one/],
  ])("refuses %o, naming the variable", (env, says) => {
    expect(() => readAppConfig(env)).toThrow(says);
  });
});
