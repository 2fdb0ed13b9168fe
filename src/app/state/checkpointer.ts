/**
 * WAL checkpoints off the event loop. A checkpoint copies the WAL's pages into the database and
 * fsyncs it: tens of milliseconds once the WAL has grown to the journal's 10,000-page threshold,
 * and SQLite runs it inside whichever commit crosses the threshold — in the app, a webhook's
 * answer or a step's checkpoint, on the one thread that answers webhooks (measured: p99 of the
 * answer 50-120 ms with it, 15 ms at a 1,000-page threshold, see bench (e)). The app turns
 * automatic checkpoints off on its connections and runs `PRAGMA wal_checkpoint(PASSIVE)` (which
 * never blocks writers) every `intervalMs` in a worker thread with a connection of its own.
 */
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import type { Logger } from "../../engine/ports.js";

export interface CheckpointerOptions {
  /** The database file. */
  path: string;
  /** @default 500 */
  intervalMs?: number;
  log: Logger;
  /** Called when the thread died: the caller turns automatic checkpoints back on. */
  onFailure?: (error: Error) => void;
}

export interface Checkpointer {
  /** Runs a last checkpoint and ends the thread. */
  stop(): Promise<void>;
}

/** The thread's code (CommonJS, evaluated): a timer and one connection. */
const THREAD = `
const { parentPort, workerData } = require("node:worker_threads");
const Database = require(workerData.sqlite);
const db = new Database(workerData.path);
db.pragma("busy_timeout = 5000");
const checkpoint = () => {
  try { db.pragma("wal_checkpoint(PASSIVE)"); } catch (e) { parentPort.postMessage({ error: String(e && e.message || e) }); }
};
const timer = setInterval(checkpoint, workerData.intervalMs);
parentPort.on("message", (m) => {
  if (m !== "stop") return;
  clearInterval(timer);
  checkpoint();
  db.close();
  parentPort.close();
});
`;

/** Starts the checkpoint thread for `path`. */
export function startCheckpointer(options: CheckpointerOptions): Checkpointer {
  const { path, log, onFailure } = options;
  const intervalMs = options.intervalMs ?? 500;
  const sqlite = createRequire(import.meta.url).resolve("better-sqlite3");
  const worker = new Worker(THREAD, { eval: true, workerData: { path, intervalMs, sqlite } });
  worker.unref();
  let stopping = false;
  worker.on("message", (m: { error?: string }) => {
    if (m.error) log.warn("WAL checkpoint failed", { db: path, error: m.error });
  });
  worker.on("error", (e) => {
    log.error("the WAL checkpoint thread failed; checkpoints are automatic again", {
      db: path,
      error: e.message,
    });
    onFailure?.(e);
  });
  const exited = new Promise<void>((resolve) => worker.once("exit", () => resolve()));
  void exited.then(() => {
    if (!stopping) onFailure?.(new Error("the WAL checkpoint thread exited"));
  });
  return {
    async stop() {
      if (stopping) return exited;
      stopping = true;
      worker.ref(); // kept alive until its last checkpoint is done
      worker.postMessage("stop");
      await exited;
    },
  };
}
