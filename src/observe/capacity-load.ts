/**
 * The capacity forecast of a journal: its runs and events read through the Journal port (runs
 * created in the window, plus a lookback for runs that were still open in it, plus every run open
 * now), the journal's size given by the host (the SQLite file's size: `journalFileBytes`).
 */
import { statSync } from "node:fs";
import { type Journal, type RunRecord, TERMINAL_RUN_STATUSES } from "../index.js";
import {
  type CapacityForecast,
  capacityForecast,
  DAY_MS,
  type ForecastOptions,
  type RunSpan,
} from "./capacity.js";

export interface CapacityQuery extends ForecastOptions {
  /** Now (epoch ms): the forecast's origin. */
  now: number;
  /** Days of history. @default 30 */
  days?: number;
  /** The journal's size now, in bytes (see journalFileBytes); no size forecast without it. */
  sizeBytes?: number;
  /** Runs created this long before the window are read too (they may have been open in it). @default 7 days */
  lookbackMs?: number;
}

/** Events read per page. */
const PAGE = 5000;

/** The capacity forecast of the journal's history (see capacity.ts). */
export async function loadCapacity(journal: Journal, query: CapacityQuery): Promise<CapacityForecast> {
  const days = query.days ?? 30;
  if (!Number.isInteger(days) || days < 1)
    throw new TypeError(`days: expected a positive integer, got ${days}`);
  const start = query.now - days * DAY_MS;
  const [recent, openNow] = await Promise.all([
    journal.listRuns({ createdSince: start - (query.lookbackMs ?? 7 * DAY_MS) }),
    journal.listRuns({ status: ["running", "waiting", "blocked"] }),
  ]);
  const byId = new Map<string, RunRecord>();
  for (const run of [...recent, ...openNow]) byId.set(run.id, run);
  const runs: RunSpan[] = [...byId.values()].map((run) => ({
    createdAt: run.createdAt,
    endedAt: TERMINAL_RUN_STATUSES.includes(run.status) ? (run.finishedAt ?? run.updatedAt) : null,
  }));
  const eventTimes: number[] = [];
  for (let after = 0; ;) {
    const page = await journal.listEventsAfter(after, { limit: PAGE });
    for (const e of page) eventTimes.push(e.at);
    if (page.length < PAGE) break;
    after = (page[page.length - 1] as { seq: number }).seq;
  }
  const open = { running: 0, waiting: 0, blocked: 0 };
  for (const run of openNow) if (run.status in open) open[run.status as keyof typeof open]++;
  return capacityForecast({
    now: query.now,
    days,
    runs,
    eventTimes,
    open,
    ...(query.sizeBytes === undefined ? {} : { sizeBytes: query.sizeBytes }),
    ...(query.horizonDays === undefined ? {} : { horizonDays: query.horizonDays }),
    ...(query.confidence === undefined ? {} : { confidence: query.confidence }),
  });
}

/**
 * The size of a SQLite journal on disk, in bytes: the database file (page_count × page_size) and
 * its write-ahead log, when there is one. Undefined when the file cannot be read.
 */
export function journalFileBytes(path: string): number | undefined {
  const size = (p: string) => {
    try {
      return statSync(p).size;
    } catch {
      return undefined;
    }
  };
  const main = size(path);
  return main === undefined ? undefined : main + (size(`${path}-wal`) ?? 0);
}
