import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ConfigError } from "../../src/cli/config.js";
import { loadConfig } from "../../src/cli/config-load.js";
import { tempDir } from "./helpers.js";

describe("configuration", () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => {
    tmp = tempDir();
  });
  afterEach(() => tmp.cleanup());

  const load = (env: Record<string, string> = {}, flags = {}) => loadConfig({ cwd: tmp.dir, env, flags });
  const problem = (fn: () => unknown) => {
    try {
      fn();
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      return (e as Error).message;
    }
    throw new Error("expected a ConfigError");
  };

  it("has defaults, with the db under .stageflow in cwd", () => {
    const { values, sources } = load();
    expect(values).toEqual({
      db: tmp.path(".stageflow/state.db"),
      durability: "process",
      leaseMs: 30_000,
      logLevel: "warn",
      json: false,
    });
    expect(sources).toMatchObject({ db: "default", durability: "default", leaseMs: "default" });
  });

  it("applies each layer over the previous: defaults < file < environment < flags", () => {
    tmp.write(
      "stageflow.config.yaml",
      "db: from-file.db\ndurability: machine\nleaseMs: 1000\nlogLevel: info\n",
    );
    const fileOnly = load();
    expect(fileOnly.values).toMatchObject({
      db: tmp.path("from-file.db"),
      durability: "machine",
      leaseMs: 1000,
    });
    expect(fileOnly.sources.durability).toBe("file stageflow.config.yaml");

    const env = { STAGEFLOW_DB: "env.db", STAGEFLOW_LEASE_MS: "2000", STAGEFLOW_LOG_LEVEL: "debug" };
    const withEnv = load(env);
    expect(withEnv.values).toMatchObject({ db: tmp.path("env.db"), durability: "machine", leaseMs: 2000 });
    expect(withEnv.values.logLevel).toBe("debug");
    expect(withEnv.sources).toMatchObject({
      db: "env STAGEFLOW_DB",
      durability: "file stageflow.config.yaml",
    });

    const withFlags = load(env, { db: "flag.db", leaseMs: "3000", json: true });
    expect(withFlags.values).toMatchObject({
      db: tmp.path("flag.db"),
      leaseMs: 3000,
      logLevel: "debug",
      json: true,
    });
    expect(withFlags.sources).toMatchObject({
      db: "flag --db",
      leaseMs: "flag --lease-ms",
      logLevel: "env STAGEFLOW_LOG_LEVEL",
    });
  });

  it("reads JSON config files and an explicit --config file, resolving paths against the file", () => {
    tmp.write("stageflow.config.json", JSON.stringify({ durability: "machine" }));
    expect(load().values.durability).toBe("machine");
    const other = tempDir();
    try {
      other.write("custom.yml", "db: state/x.db\nworkDir: scratch\n");
      const loaded = load({}, { config: other.path("custom.yml") });
      expect(loaded.values.db).toBe(other.path("state/x.db"));
      expect(loaded.values.workDir).toBe(other.path("scratch"));
      expect(loaded.values.durability).toBe("process");
      expect(loaded.file).toBe(other.path("custom.yml"));
    } finally {
      other.cleanup();
    }
  });

  it("names the file and field of a bad value in a config file", () => {
    tmp.write("stageflow.config.yaml", "durability: disk\n");
    expect(problem(() => load())).toBe(
      "stageflow.config.yaml: durability: expected 'process' or 'machine', got 'disk'",
    );
  });

  it("names unknown keys in a config file and suggests the right one", () => {
    tmp.write("stageflow.config.yml", "lease_ms: 100\n");
    expect(problem(() => load())).toBe(
      "stageflow.config.yml: unknown key 'lease_ms' (did you mean 'leaseMs'?)",
    );
  });

  it("rejects a file that is not a mapping, or does not parse", () => {
    tmp.write("stageflow.config.json", "[1]");
    expect(problem(() => load())).toMatch(/^stageflow\.config\.json: expected a mapping of settings/);
    // Where, not JSON.parse's quote of the file (a quote could hold part of a secret).
    tmp.write("stageflow.config.json", '{ "db": s3cr3t-value }');
    expect(problem(() => load())).toBe("stageflow.config.json: invalid JSON at position 8: expected a value");
  });

  it("refuses two config files in one directory, and a missing --config file", () => {
    tmp.write("stageflow.config.json", "{}");
    tmp.write("stageflow.config.yaml", "{}");
    expect(problem(() => load())).toMatch(/found stageflow.config.json and stageflow.config.yaml; keep one/);
    expect(problem(() => load({}, { config: "missing.yml" }))).toBe("--config: no such file 'missing.yml'");
  });

  it("names the environment variable of a bad value", () => {
    expect(problem(() => load({ STAGEFLOW_LEASE_MS: "abc" }))).toBe(
      "STAGEFLOW_LEASE_MS: expected a positive integer, got 'abc'",
    );
    expect(problem(() => load({ STAGEFLOW_DURABILITY: "disk" }))).toBe(
      "STAGEFLOW_DURABILITY: expected 'process' or 'machine', got 'disk'",
    );
    expect(problem(() => load({ STAGEFLOW_LOG_LEVEL: "loud" }))).toMatch(
      /^STAGEFLOW_LOG_LEVEL: expected 'debug'/,
    );
  });

  it("names the flag of a bad value", () => {
    expect(problem(() => load({}, { leaseMs: "0" }))).toBe("--lease-ms: expected a positive integer, got 0");
    expect(problem(() => load({}, { durability: "disk" }))).toBe(
      "--durability: expected 'process' or 'machine', got 'disk'",
    );
  });

  it("ignores empty variables and lists STAGEFLOW_* names only", () => {
    const loaded = load({ STAGEFLOW_DB: "", STAGEFLOW_TOKEN: "s3cret", HOME: "/root" });
    expect(loaded.sources.db).toBe("default");
    expect(loaded.envNames).toEqual(["STAGEFLOW_DB", "STAGEFLOW_TOKEN"]);
  });
});
