import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { createSqliteAppStore } from "../../../src/app/state/sqlite.js";
import { APP_MIGRATIONS, APP_SCHEMA_VERSION } from "../../../src/app/state/schema.js";
import type { AppStore } from "../../../src/app/state/types.js";
import type { DispatchRecord } from "../../../src/steps/github/dispatch-registry.js";
import { createSqliteJournal } from "../../../src/store/index.js";

const dirs: string[] = [];
const stores: AppStore[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function fresh(): Promise<{ path: string; store: AppStore }> {
  const dir = await mkdtemp(join(tmpdir(), "stageflow-appstore-"));
  dirs.push(dir);
  const path = join(dir, "nested", "app.db");
  const store = createSqliteAppStore({ path });
  stores.push(store);
  return { path, store };
}

/** Reads the file through a connection of its own: what another process would see. */
function peek<T>(path: string, fn: (db: Database.Database) => T): T {
  const db = new Database(path, { readonly: true });
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

const delivery = (id: string, receivedAt: number) => ({
  id,
  name: "issues",
  payload: `{"n":"${id}"}`,
  receivedAt,
});

describe("SQLite AppStore", () => {
  it("records a delivery durably before it resolves, once per id", async () => {
    const { path, store } = await fresh();
    expect(await store.recordDelivery(delivery("d1", 10))).toBe(true);
    expect(peek(path, (db) => db.prepare("SELECT id, status, attempts FROM app_inbox").all())).toEqual([
      { id: "d1", status: "pending", attempts: 0 },
    ]);
    expect(await store.recordDelivery({ ...delivery("d1", 99), payload: "{}" })).toBe(false);
    expect((await store.getDelivery("d1"))?.payload).toBe('{"n":"d1"}');
    expect((await store.inboxStats()).total).toBe(1);
  });

  it("gives pending deliveries oldest first, and forgets finished ones", async () => {
    const { store } = await fresh();
    await store.recordDelivery(delivery("b", 20));
    await store.recordDelivery(delivery("a", 10));
    await store.recordDelivery(delivery("c", 20));
    expect((await store.pendingDeliveries(10)).map((e) => e.id)).toEqual(["a", "b", "c"]);
    expect((await store.pendingDeliveries(2)).map((e) => e.id)).toEqual(["a", "b"]);
    await store.startDelivery("a");
    await store.startDelivery("a");
    await store.finishDelivery("a", { status: "failed", error: "boom", at: 30 });
    await store.startDelivery("b");
    await store.finishDelivery("b", { status: "done", at: 31 });
    expect((await store.pendingDeliveries(10)).map((e) => e.id)).toEqual(["c"]);
    expect(await store.getDelivery("a")).toEqual({
      id: "a",
      name: "issues",
      payload: '{"n":"a"}',
      receivedAt: 10,
      status: "failed",
      attempts: 2,
      error: "boom",
      finishedAt: 30,
    });
    expect(await store.inboxStats()).toEqual({ pending: 1, oldestPendingAt: 20, total: 3 });
    await expect(store.startDelivery("nope")).rejects.toThrow(/no delivery 'nope'/);
    await expect(store.finishDelivery("c", { status: "pending" as "done", at: 1 })).rejects.toThrow(
      /status must be/,
    );
  });

  it("keeps report targets, cursors and dispatch records", async () => {
    const { store } = await fresh();
    const target = {
      runId: "r1",
      installationId: 7,
      owner: "o",
      repo: "r",
      issueNumber: 3,
      headSha: null,
      checkRunId: null,
      commentId: null,
    };
    await store.saveReportTarget(target);
    await store.saveReportTarget({ ...target, checkRunId: 11, commentId: 12 });
    expect(await store.reportTarget("r1")).toEqual({ ...target, checkRunId: 11, commentId: 12 });
    expect(await store.reportTarget("r2")).toBeUndefined();

    expect(await store.cursor("events")).toBe(0);
    await store.setCursor("events", 42);
    await store.setCursor("events", 43);
    expect(await store.cursor("events")).toBe(43);

    const record: DispatchRecord = {
      key: "r1/e2e",
      runId: "r1",
      stepId: "e2e",
      signal: "dispatch:e2e",
      installationId: 7,
      owner: "o",
      repo: "r",
      workflow: "e2e.yml",
      workflowRunId: 555,
      url: "https://github.com/o/r/actions/runs/555",
      status: "waiting",
      createdAt: 5,
    };
    await store.put(record);
    await store.put({ ...record, key: "r2/e2e", runId: "r2", workflowRunId: 556, createdAt: 6 });
    expect(await store.get("r1/e2e")).toEqual(record);
    expect((await store.byWorkflowRun(555)).map((r) => r.key)).toEqual(["r1/e2e"]);
    expect((await store.waiting()).map((r) => r.key)).toEqual(["r1/e2e", "r2/e2e"]);
    await store.complete("r1/e2e");
    expect((await store.get("r1/e2e"))?.status).toBe("completed");
    expect(await store.byWorkflowRun(555)).toEqual([]);
    expect((await store.waiting()).map((r) => r.key)).toEqual(["r2/e2e"]);
  });

  it("lives beside the journal in one WAL file, each with its own schema version", async () => {
    const { path, store } = await fresh();
    const journal = createSqliteJournal({ path });
    await store.recordDelivery(delivery("d1", 1));
    expect(await journal.listRuns()).toEqual([]);
    await journal.close();
    await store.close();
    // Opening both again, in the other order, changes nothing.
    const again = createSqliteJournal({ path });
    await again.close();
    const reopened = createSqliteAppStore({ path });
    stores.push(reopened);
    expect((await reopened.getDelivery("d1"))?.id).toBe("d1");
    peek(path, (db) => {
      expect(db.pragma("journal_mode", { simple: true })).toBe("wal");
      expect(db.prepare("SELECT version FROM app_schema").get()).toEqual({ version: APP_SCHEMA_VERSION });
      expect(db.pragma("user_version", { simple: true })).toBe(1);
    });
  });

  it("refuses a file whose app tables come from a newer stageflow, naming the path", async () => {
    const { path, store } = await fresh();
    await store.close();
    const raw = new Database(path);
    raw.prepare("UPDATE app_schema SET version = ?").run(APP_SCHEMA_VERSION + 1);
    raw.close();
    expect(() => createSqliteAppStore({ path })).toThrow(
      new RegExp(
        `${path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: the app's tables have schema version ${APP_SCHEMA_VERSION + 1}`,
      ),
    );
  });

  it("creates tables only (no ALTER), app_ names only", () => {
    for (const m of APP_MIGRATIONS) {
      expect(m.sql).not.toMatch(/ALTER TABLE|DROP/i);
      for (const [, name] of m.sql.matchAll(/CREATE (?:TABLE|INDEX) (\w+)/g)) expect(name).toMatch(/^app_/);
    }
  });

  it("rejects every call after close", async () => {
    const { store } = await fresh();
    await store.close();
    await expect(store.recordDelivery(delivery("x", 1))).rejects.toThrow(/closed/);
  });
});
