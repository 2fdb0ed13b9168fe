import { eventHash } from "../../engine/canonical.js";
import type { EventRecord, NewEvent } from "../../engine/events.js";
import type { EventQuery } from "../../engine/journal.js";
import { unknownRun } from "../errors.js";
import { jsonCopy } from "./copy.js";

/** Events validated and hashed, ready to append (nothing stored yet), each with what it came from. */
export type PreparedEvents = readonly { record: EventRecord; source: NewEvent }[];

/** The in-memory event log: append-only, deduplicated by eventHash(), seq increasing. */
export class EventLog {
  private readonly byRun = new Map<string, EventRecord[]>();
  /** Every run's events in seq order (the journal's one sequence). */
  private all: EventRecord[] = [];
  private readonly hashes = new Set<string>();
  private seq = 0;

  /**
   * Checks every event names a known run and drops duplicates (already stored, or twice in
   * `events`). Throws StoreError `unknown_run` before anything is stored.
   */
  prepare(events: readonly NewEvent[], runExists: (runId: string) => boolean): PreparedEvents {
    const out: { record: EventRecord; source: NewEvent }[] = [];
    const seen = new Set<string>();
    for (const e of events) {
      if (!runExists(e.runId)) throw unknownRun(e.runId);
      const hash = eventHash(e);
      // Hashes are unique per run (as the SQLite index: UNIQUE (run_id, hash)).
      const key = `${e.runId}\u0000${hash}`;
      if (this.hashes.has(key) || seen.has(key)) continue;
      seen.add(key);
      const record = {
        runId: e.runId,
        correlationId: e.correlationId,
        type: e.type,
        at: e.at,
        payload: jsonCopy(e.payload),
        seq: 0,
        hash,
      } as EventRecord;
      if (e.dedupeKey !== undefined) record.dedupeKey = e.dedupeKey;
      out.push({ record, source: e });
    }
    return out;
  }

  /** Stores what prepare() returned, giving each event the next seq (also set on its NewEvent). */
  commit(prepared: PreparedEvents): void {
    for (const { record, source } of prepared) {
      record.seq = ++this.seq;
      source.seq = record.seq;
      this.hashes.add(`${record.runId}\u0000${record.hash}`);
      const list = this.byRun.get(record.runId) ?? [];
      this.byRun.set(record.runId, list);
      list.push(record);
      this.all.push(record);
    }
  }

  /** Forgets a run's events (the run is being deleted). */
  deleteRun(runId: string): void {
    for (const e of this.byRun.get(runId) ?? []) this.hashes.delete(`${runId}\u0000${e.hash}`);
    if (this.byRun.delete(runId)) this.all = this.all.filter((e) => e.runId !== runId);
  }

  /** The highest seq given so far (0 when none). */
  last(): number {
    return this.seq;
  }

  /** A page of events after `afterSeq` (see Journal.listEventsAfter). */
  after(afterSeq: number, query: EventQuery = {}): EventRecord[] {
    const types = query.types === undefined ? undefined : new Set<string>(query.types);
    const limit = query.limit ?? Infinity;
    const out: EventRecord[] = [];
    for (let i = this.firstAfter(afterSeq); i < this.all.length && out.length < limit; i++) {
      const e = this.all[i] as EventRecord;
      if (query.runId !== undefined && e.runId !== query.runId) continue;
      if (types && !types.has(e.type)) continue;
      out.push(e);
    }
    return structuredClone(out);
  }

  /** The index of the first event whose seq is greater than `seq` (binary search). */
  private firstAfter(seq: number): number {
    let lo = 0;
    let hi = this.all.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.all[mid] as EventRecord).seq <= seq) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  list(runId: string, afterSeq = 0): EventRecord[] {
    return structuredClone((this.byRun.get(runId) ?? []).filter((e) => e.seq > afterSeq));
  }
}
