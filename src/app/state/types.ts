/**
 * The app's own durable state, beside the engine's journal (same SQLite file by default): the
 * webhook inbox, where each run reports on GitHub, the dispatch steps' workflow runs, and the
 * reporter's event cursor. Asynchronous so that a PostgreSQL implementation fits later.
 */
import type { DispatchRegistry } from "../../steps/github/dispatch-registry.js";

export type DeliveryStatus = "pending" | "done" | "ignored" | "failed";

/** One webhook delivery, as received: the raw JSON body, verified before it was recorded. */
export interface InboxEntry {
  /** `X-GitHub-Delivery`. */
  id: string;
  /** `X-GitHub-Event`. */
  name: string;
  payload: string;
  receivedAt: number;
  status: DeliveryStatus;
  /** How many times the worker tried it. */
  attempts: number;
  error: string | null;
  finishedAt: number | null;
}

/** Where a run reports on GitHub, and what it has written there so far. */
export interface ReportTarget {
  runId: string;
  installationId: number;
  owner: string;
  repo: string;
  /** The issue or pull request the run belongs to. */
  issueNumber: number;
  /** The PR head SHA the check run is on; null for a plain issue (no check run). */
  headSha: string | null;
  checkRunId: number | null;
  commentId: number | null;
}

export interface AppStore extends DispatchRegistry {
  /**
   * Records a verified delivery. Durable (committed) when it resolves. Resolves false, recording
   * nothing, when a delivery with this id is already in the inbox (a redelivery).
   */
  recordDelivery(delivery: {
    id: string;
    name: string;
    payload: string;
    receivedAt: number;
  }): Promise<boolean>;
  /** Pending deliveries, oldest first. */
  pendingDeliveries(limit: number): Promise<InboxEntry[]>;
  /** Counts an attempt of the worker at a delivery (before it starts the work). */
  startDelivery(id: string): Promise<void>;
  /**
   * Records the error of a failed attempt at a delivery that will be tried again: it stays
   * `pending`, so a process that dies while the retry waits takes it up again at its next start.
   */
  noteFailedAttempt(id: string, failure: { error: string; at: number }): Promise<void>;
  finishDelivery(
    id: string,
    outcome: { status: Exclude<DeliveryStatus, "pending">; error?: string; at: number },
  ): Promise<void>;
  getDelivery(id: string): Promise<InboxEntry | undefined>;
  inboxStats(): Promise<{ pending: number; oldestPendingAt: number | null; total: number }>;

  reportTarget(runId: string): Promise<ReportTarget | undefined>;
  saveReportTarget(target: ReportTarget): Promise<void>;

  /** A named cursor (e.g. the reporter's last event seq); 0 when never set. */
  cursor(name: string): Promise<number>;
  setCursor(name: string, value: number): Promise<void>;

  close(): Promise<void>;
}
