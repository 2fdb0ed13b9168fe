import { describe, expect, it } from "vitest";
import type { LoadedConfig } from "../../src/cli/config.js";
import { diagnosticsBundle } from "../../src/cli/diagnostics.js";
import { MASK, maskSecrets, maskText } from "../../src/cli/mask.js";
import type { RunReport } from "../../src/engine/engine-api.js";
import type { RunRecord } from "../../src/engine/journal.js";

const GHP = `ghp_${"a1B2".repeat(9)}`;
const PAT = `github_pat_${"x".repeat(22)}_${"Y".repeat(59)}`;

describe("secret masking", () => {
  it("masks the value of every secret-named key, recursively and whatever its type", () => {
    const masked = maskSecrets({
      token: "abc",
      nested: { GITHUB_TOKEN: "abc", Password: 42, list: [{ api_key: { deep: 1 } }, { apiKey: "k" }] },
      headers: { authorization: "Bearer abc", Cookie: "s=1", "x-api-key": "z" },
      passwd: "p",
      client_secret: "s",
      keep: "visible",
      empty: { token: null },
    });
    expect(masked).toEqual({
      token: MASK,
      nested: { GITHUB_TOKEN: MASK, Password: MASK, list: [{ api_key: MASK }, { apiKey: MASK }] },
      headers: { authorization: MASK, Cookie: MASK, "x-api-key": MASK },
      passwd: MASK,
      client_secret: MASK,
      keep: "visible",
      empty: { token: null },
    });
  });

  it("masks GitHub tokens anywhere in text, and credentials in URLs and bearer headers", () => {
    for (const prefix of ["ghp_", "gho_", "ghs_", "ghu_"]) {
      expect(maskText(`using ${prefix}${"Z9".repeat(18)} now`)).toBe(`using ${MASK} now`);
    }
    expect(maskText(`pat=${PAT}.`)).toBe(`pat=${MASK}.`);
    expect(maskText("clone https://user:hunter22@github.com/x")).toBe(
      `clone https://user:${MASK}@github.com/x`,
    );
    expect(maskText("Authorization: Bearer abcdefgh12345")).toBe(`Authorization: Bearer ${MASK}`);
    expect(maskText("ghp_short and nothing else")).toBe("ghp_short and nothing else");
  });

  it("masks a token inside a word, and values under the added secret key names (issue 9, 3.2)", () => {
    expect(maskText(`export MY_${GHP}`)).toBe(`export MY_${MASK}`);
    const keys = ["private_key", "ssh_key", "credentials", "pat", "passphrase", "auth", "pwd"];
    const masked = maskSecrets(Object.fromEntries(keys.map((k) => [k, "v"])));
    expect(masked).toEqual(Object.fromEntries(keys.map((k) => [k, MASK])));
    expect(maskSecrets({ author: "me", path: "/x" })).toEqual({ author: "me", path: "/x" });
  });

  it("masks tokens inside arrays and values of innocent keys, and does not touch the input", () => {
    const input = { message: `failed with ${GHP}`, args: ["--token", GHP] };
    expect(maskSecrets(input)).toEqual({ message: `failed with ${MASK}`, args: ["--token", MASK] });
    expect(input.args[1]).toBe(GHP);
  });

  it("keeps shared (non-circular) objects and marks cycles", () => {
    const shared = { a: 1 };
    const cyclic: Record<string, unknown> = { shared, again: shared };
    cyclic.self = cyclic;
    expect(maskSecrets(cyclic)).toEqual({ shared: { a: 1 }, again: { a: 1 }, self: "[circular]" });
  });
});

describe("diagnostics bundle", () => {
  const run: RunRecord = {
    id: "r1",
    workflow: "release",
    definition: {
      name: "release",
      stages: [{ id: "s", steps: [{ id: "x", run: "echo", env: { NPM_TOKEN: "n" } }] }],
    },
    definitionHash: "h",
    source: "/repo/release.yml",
    trigger: { kind: "cli" },
    correlationId: "r1",
    inputs: { version: "1.0", deploy_token: GHP, note: `uses ${GHP}` },
    key: null,
    metadata: {},
    status: "failed",
    reason: "retries_exhausted",
    error: { name: "Error", message: `401 for ${GHP}` },
    leaseOwner: null,
    leaseExpiresAt: null,
    cancelRequested: false,
    createdAt: 0,
    updatedAt: 1,
    finishedAt: 1,
  };
  const report: RunReport = { run, state: run.status, durationMs: 1, stages: [], attempts: [], recovery: [] };
  const config: LoadedConfig = {
    values: { db: "/x/state.db", durability: "process", leaseMs: 30_000, logLevel: "warn", json: false },
    sources: { db: "env STAGEFLOW_DB" },
    envNames: ["STAGEFLOW_DB", "STAGEFLOW_API_KEY"],
  };

  it("masks secrets everywhere and lists environment variables by name only", () => {
    const bundle = diagnosticsBundle({
      generatedAt: 0,
      run,
      report,
      attempts: [],
      checkpoints: [],
      events: [],
      config,
      journal: { ok: true, problems: [] },
      environment: { node: "v20", platform: "linux", arch: "x64", stageflow: "0.1.0" },
    });
    const text = JSON.stringify(bundle);
    expect(text).not.toContain(GHP);
    expect(bundle.run).toMatchObject({
      inputs: { version: "1.0", deploy_token: MASK, note: `uses ${MASK}` },
    });
    expect(bundle.definition).toMatchObject({ stages: [{ steps: [{ env: { NPM_TOKEN: MASK } }] }] });
    expect(bundle.environment).toEqual({
      node: "v20",
      platform: "linux",
      arch: "x64",
      stageflow: "0.1.0",
      variables: ["STAGEFLOW_DB", "STAGEFLOW_API_KEY"],
    });
    expect(bundle.configuration).toMatchObject({ sources: { db: "env STAGEFLOW_DB" }, file: null });
    expect(Object.keys(bundle)).toEqual([
      "generatedAt",
      "run",
      "report",
      "attempts",
      "checkpoints",
      "events",
      "stepLog",
      "definition",
      "configuration",
      "environment",
      "journal",
    ]);
  });
});
