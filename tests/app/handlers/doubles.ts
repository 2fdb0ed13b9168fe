/**
 * An AppStore in memory, for the handler tests (the app's SQLite store is another branch's; the
 * composition root's tests use it).
 */
import type { AppStore, InboxEntry, ReportTarget } from "../../../src/app/state/types.js";
import type { DispatchRecord } from "../../../src/steps/github/dispatch-registry.js";

/** An AppStore in memory. */
export function memoryStore(): AppStore & { targets: Map<string, ReportTarget> } {
  const inbox = new Map<string, InboxEntry>();
  const targets = new Map<string, ReportTarget>();
  const cursors = new Map<string, number>();
  const dispatches = new Map<string, DispatchRecord>();
  return {
    targets,
    async recordDelivery(d) {
      if (inbox.has(d.id)) return false;
      inbox.set(d.id, { ...d, status: "pending", attempts: 0, error: null, finishedAt: null });
      return true;
    },
    async pendingDeliveries(limit) {
      return [...inbox.values()].filter((e) => e.status === "pending").slice(0, limit);
    },
    async startDelivery(id) {
      const e = inbox.get(id);
      if (e) e.attempts++;
    },
    async noteFailedAttempt(id, failure) {
      const e = inbox.get(id);
      if (e) e.error = failure.error;
    },
    async finishDelivery(id, outcome) {
      const e = inbox.get(id);
      if (e)
        Object.assign(e, { status: outcome.status, error: outcome.error ?? null, finishedAt: outcome.at });
    },
    async getDelivery(id) {
      return inbox.get(id);
    },
    async inboxStats() {
      const pending = [...inbox.values()].filter((e) => e.status === "pending");
      return { pending: pending.length, oldestPendingAt: pending[0]?.receivedAt ?? null, total: inbox.size };
    },
    async reportTarget(runId) {
      const t = targets.get(runId);
      return t && { ...t };
    },
    async saveReportTarget(target) {
      targets.set(target.runId, { ...target });
    },
    async cursor(name) {
      return cursors.get(name) ?? 0;
    },
    async setCursor(name, value) {
      cursors.set(name, value);
    },
    async close() {},
    async get(key) {
      return dispatches.get(key);
    },
    async put(record) {
      dispatches.set(record.key, { ...record });
    },
    async byWorkflowRun(id) {
      return [...dispatches.values()].filter((r) => r.workflowRunId === id);
    },
    async waiting() {
      return [...dispatches.values()].filter((r) => r.status === "waiting");
    },
    async complete(key) {
      const r = dispatches.get(key);
      if (r) r.status = "completed";
    },
  };
}
