import { describe, expect, it } from "vitest";
import { ConfigError } from "../../src/cli/config.js";
import { combineExitCodes, EXIT, exitCodeForError, exitCodeForStatus } from "../../src/cli/exit-codes.js";
import { isOwnerAlive } from "../../src/cli/owner.js";
import { WorkflowError } from "../../src/engine/definition/index.js";
import { InputError, StageflowError } from "../../src/engine/errors.js";
import { StoreError } from "../../src/store/index.js";

describe("exit codes", () => {
  it("maps a run's final status", () => {
    expect(exitCodeForStatus("succeeded")).toBe(0);
    expect(exitCodeForStatus("degraded")).toBe(0);
    expect(exitCodeForStatus("failed")).toBe(1);
    expect(exitCodeForStatus("cancelled")).toBe(1);
    expect(exitCodeForStatus("blocked")).toBe(1);
    expect(exitCodeForStatus("waiting")).toBe(4);
  });

  it("maps errors: input 2, storage 3, anything else 1", () => {
    expect(exitCodeForError(new InputError("invalid_input", "missing required input 'version'"))).toBe(2);
    expect(exitCodeForError(new WorkflowError([{ file: "x.yml", path: "name", message: "required" }]))).toBe(
      2,
    );
    expect(exitCodeForError(new ConfigError(["STAGEFLOW_LEASE_MS: bad"]))).toBe(2);
    expect(exitCodeForError(new StoreError("not_sqlite", "x.db: not an SQLite database"))).toBe(3);
    expect(exitCodeForError(new StoreError("read_only", "x.db: read-only"))).toBe(3);
    expect(exitCodeForError(new StoreError("newer_schema", "x.db: newer"))).toBe(3);
    expect(exitCodeForError(new StoreError("unknown_run", "no run"))).toBe(2);
    expect(exitCodeForError(new StageflowError("lease_lost", "taken over"))).toBe(1);
    expect(exitCodeForError(new Error("bug"))).toBe(1);
  });

  it("combines several runs' codes: the most serious wins", () => {
    expect(combineExitCodes([])).toBe(EXIT.ok);
    expect(combineExitCodes([0, 4, 0])).toBe(4);
    expect(combineExitCodes([4, 1, 0])).toBe(1);
    expect(combineExitCodes([1, 130])).toBe(130);
    expect(combineExitCodes([130, 143, 1])).toBe(143);
  });
});

describe("lease owner liveness", () => {
  const fail = (code: string) => () => {
    throw Object.assign(new Error(code), { code });
  };
  it("probes pids on this host only", () => {
    expect(isOwnerAlive("host-a/123/abcdef", "host-a", () => {})).toBe(true);
    expect(isOwnerAlive("host-a/123/abcdef", "host-a", fail("ESRCH"))).toBe(false);
    expect(isOwnerAlive("host-a/123/abcdef", "host-a", fail("EPERM"))).toBe(true);
    expect(isOwnerAlive("host-b/123/abcdef", "host-a", () => {})).toBeUndefined();
    expect(isOwnerAlive("engine/abc", "engine", () => {})).toBeUndefined();
  });
  it("sees this process as alive and an unused pid as dead", () => {
    const host = "h";
    expect(isOwnerAlive(`${host}/${process.pid}/xxxxxx`, host)).toBe(true);
    expect(isOwnerAlive(`${host}/2147483646/xxxxxx`, host)).toBe(false);
  });
});
