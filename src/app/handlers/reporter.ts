/**
 * The reporter: follows the engine's events and keeps each run's check run (on the PR's head
 * SHA) and status comment up to date. Writes are coalesced per run — at most one every
 * `minIntervalMs` (a dirty flag and a timer on the injected clock), the final state always
 * written — so a run of 200 steps makes a handful of calls, not 400. A write that fails (5xx,
 * rate limit) leaves the run dirty: it is written again at the next flush. A write answered 404
 * or 410 (the repository, the installation or the check run is gone) ends the run's reporting:
 * logged once, the run forgotten, its events no longer holding the cursor back. The event cursor
 * (`store.cursor("reporter")`) only moves past events whose report was written — never past the
 * first event of a write still in flight — so a restart continues where it stopped; `catchUp`
 * brings the runs in flight or waiting up to date.
 */
import { type Engine, nullLogger, startTimer } from "../../engine/index.js";
import { httpStatus } from "../../github/errors.js";
import type { ReportTarget } from "../state/types.js";
import type { GitHubPort, ReporterHandle } from "./deps.js";
import { createReportWriter, type ReporterOptions } from "./report-write.js";

export type { ReporterOptions, RepoContext } from "./report-write.js";

export interface Reporter extends ReporterHandle {
  /** Subscribes to events after the stored cursor, then brings runs in flight up to date (`catchUp`). */
  start(): Promise<void>;
  /** Marks every run in flight, waiting or blocked that has a target as needing a write. */
  catchUp(): Promise<void>;
  /** Writes every dirty run now (ignoring the interval) and waits for the writes; for tests and shutdown. */
  flush(): Promise<void>;
  /** Stops following events, after a last flush. */
  close(): Promise<void>;
  /** Writes attempted (a check run and a comment update of one run count as one). */
  readonly writes: number;
  readonly failedWrites: number;
}

const CURSOR = "reporter";

interface Slot {
  runId: string;
  /**
   * undefined: not looked up yet; null: the run reports nowhere (not the app's, or its target is
   * not saved yet: the slot is dropped, and the next event or `track` looks again).
   */
  target: ReportTarget | null | undefined;
  dirty: boolean;
  /** The earliest event not yet reflected by a write, done or in flight. */
  firstSeq: number | null;
  /** The earliest event the write in flight reflects: it holds the cursor until the write succeeds. */
  writingFrom: number | null;
  lastWriteAt: number | null;
  failures: number;
  /** A scheduled write: the timer's canceller. */
  timer: (() => void) | null;
  writing: Promise<void> | null;
}

export function createReporter(options: ReporterOptions): Reporter {
  const { engine, store, github, clock } = options;
  const log = options.log ?? nullLogger;
  const minInterval = options.minIntervalMs ?? 1000;
  const maxRetryDelay = options.maxRetryDelayMs ?? 60_000;
  const writeReport = createReportWriter(options);
  const slots = new Map<string, Slot>();
  /** Runs whose reporting ended (404/410): their events are ignored until `track` names them again. */
  const gone = new Set<string>();
  let subscription: ReturnType<Engine["on"]> | null = null;
  let lastSeen = 0;
  let savedCursor = 0;
  let writes = 0;
  let failedWrites = 0;
  let closed = false;

  const slotOf = (runId: string): Slot => {
    let slot = slots.get(runId);
    if (!slot) {
      slot = {
        runId,
        target: undefined,
        dirty: false,
        firstSeq: null,
        writingFrom: null,
        lastWriteAt: null,
        failures: 0,
        timer: null,
        writing: null,
      };
      slots.set(runId, slot);
    }
    return slot;
  };

  const mark = (slot: Slot, seq: number | null): void => {
    slot.dirty = true;
    if (seq !== null && slot.firstSeq === null) slot.firstSeq = seq;
    schedule(slot);
  };

  const delayOf = (slot: Slot): number => {
    if (slot.lastWriteAt === null) return 0;
    const backoff = slot.failures
      ? Math.min(maxRetryDelay, minInterval * 2 ** (slot.failures - 1))
      : minInterval;
    return Math.max(0, slot.lastWriteAt + backoff - clock.now());
  };

  function schedule(slot: Slot, delay = delayOf(slot)): void {
    if (closed || slot.writing || slot.timer || !slot.dirty) return;
    if (delay <= 0) {
      write(slot);
      return;
    }
    slot.timer = startTimer(clock, delay, () => {
      slot.timer = null;
      write(slot);
    });
  }

  function write(slot: Slot): Promise<void> {
    if (slot.writing) return slot.writing;
    if (!slot.dirty) return Promise.resolve();
    slot.dirty = false;
    const pendingFrom = slot.firstSeq;
    slot.firstSeq = null;
    // Until this write succeeds, its events are not written: the cursor stays before them.
    slot.writingFrom = pendingFrom;
    let retryAfter: number | undefined;
    slot.writing = writeRun(slot)
      .then((settled) => {
        slot.writingFrom = null;
        slot.failures = 0;
        // Only runs that are running stay in memory (their next write waits for the interval).
        if (settled && !slot.dirty) slots.delete(slot.runId);
      })
      .catch((error: unknown) => {
        slot.writingFrom = null;
        failedWrites++;
        const status = httpStatus(error);
        if (status === 404 || status === 410) {
          drop(slot, status, error);
          return;
        }
        slot.failures++;
        slot.dirty = true;
        if (pendingFrom !== null) slot.firstSeq = Math.min(pendingFrom, slot.firstSeq ?? pendingFrom);
        retryAfter = retryAfterOf(github, error, clock.now());
        log.warn("report write failed; retried at the next flush", {
          runId: slot.runId,
          error: String(error),
        });
      })
      .finally(() => {
        slot.writing = null;
        const delay = retryAfter === undefined ? undefined : Math.max(retryAfter, delayOf(slot));
        schedule(slot, delay);
        void saveCursor();
      });
    return slot.writing;
  }

  /**
   * A 404 or 410: the repository, the installation or the check run is gone, and retrying cannot
   * bring it back. The run's reporting ends: its slot goes (its events no longer hold the cursor)
   * and its later events are ignored, until `track` names the run again.
   */
  function drop(slot: Slot, status: number, error: unknown): void {
    // Not dirty and out of `slots`: nothing schedules or writes it again (its events are ignored).
    slot.dirty = false;
    slot.firstSeq = null;
    slot.timer?.();
    slot.timer = null;
    if (slots.get(slot.runId) === slot) slots.delete(slot.runId);
    gone.add(slot.runId);
    log.warn("the run's repository, installation or check run is gone; its reporting stops", {
      runId: slot.runId,
      status,
      error: String(error),
    });
  }

  async function writeRun(slot: Slot): Promise<boolean> {
    slot.target ??= (await store.reportTarget(slot.runId)) ?? null;
    if (!slot.target) return true;
    slot.lastWriteAt = clock.now();
    writes++;
    return writeReport(slot.target);
  }

  /**
   * The cursor: just before the earliest event some run has not written yet — waiting for its
   * write, or in a write still in flight — else the last seen.
   */
  async function saveCursor(): Promise<void> {
    let cursor = lastSeen;
    for (const slot of slots.values()) {
      if (slot.firstSeq !== null) cursor = Math.min(cursor, slot.firstSeq - 1);
      if (slot.writingFrom !== null) cursor = Math.min(cursor, slot.writingFrom - 1);
    }
    if (cursor <= savedCursor) return;
    savedCursor = cursor;
    try {
      await store.setCursor(CURSOR, cursor);
    } catch (error) {
      log.warn("reporter cursor not saved", { error: String(error) });
    }
  }

  const settle = async (): Promise<void> => {
    await subscription?.idle();
    for (let round = 0; round < 3; round++) {
      const busy = [...slots.values()].filter((s) => s.writing || s.dirty);
      if (!busy.length) break;
      await Promise.all(
        busy.map(async (slot) => {
          if (slot.writing) await slot.writing;
          if (slot.dirty && round < 2) {
            slot.timer?.();
            slot.timer = null;
            await write(slot);
          }
        }),
      );
    }
    await saveCursor();
  };

  const reporter: Reporter = {
    get writes() {
      return writes;
    },
    get failedWrites() {
      return failedWrites;
    },
    track(runId) {
      gone.delete(runId);
      const slot = slotOf(runId);
      if (!slot.target) slot.target = undefined;
      mark(slot, null);
    },
    async start() {
      const cursor = await store.cursor(CURSOR);
      lastSeen = savedCursor = cursor;
      subscription = engine.on(
        (event) => {
          lastSeen = Math.max(lastSeen, event.seq);
          if (!event.runId || gone.has(event.runId)) return;
          mark(slotOf(event.runId), event.seq);
        },
        { afterSeq: cursor },
      );
      await reporter.catchUp();
    },
    async catchUp() {
      const runs = await engine.listRuns({ status: ["running", "waiting", "blocked"] });
      for (const run of runs) {
        if (gone.has(run.id)) continue;
        const target = await store.reportTarget(run.id);
        if (!target) continue;
        const slot = slotOf(run.id);
        slot.target = target;
        mark(slot, null);
      }
    },
    flush: settle,
    async close() {
      await settle();
      closed = true;
      subscription?.close();
      for (const slot of slots.values()) {
        slot.timer?.();
        slot.timer = null;
      }
    },
  };
  return reporter;
}

/** How long GitHub asked to wait (rate limit, `retry-after`), in ms, when it said. */
function retryAfterOf(github: GitHubPort, error: unknown, now: number): number | undefined {
  const limited = github.isRateLimited?.(error, now);
  if (limited) return limited.retryAfterMs;
  const headers = (error as { response?: { headers?: Record<string, string> } } | null)?.response?.headers;
  const seconds = Number(headers?.["retry-after"]);
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : undefined;
}
