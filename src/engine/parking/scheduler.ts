import type { RunWake } from "../journal.js";
import { type Clock, startTimer } from "../ports.js";

/** Why a parked run was woken. */
export type WakeCause = "timer" | "signal";

/**
 * The engine's one scheduler of parked runs: their wake conditions by run id, a min-heap of
 * deadlines and ONE timer on the Clock for the earliest of them. A run costs a map entry and a
 * heap slot; nothing else of it stays in memory. Entries replaced or removed stay in the heap
 * until they reach its top (lazy deletion) and are skipped there.
 */
export class WakeScheduler {
  private readonly parked = new Map<string, RunWake>();
  private readonly heap: Array<{ at: number; runId: string }> = [];
  private disarm: (() => void) | null = null;
  private armedAt: number | null = null;
  private stopped = false;

  constructor(
    private readonly clock: Clock,
    private readonly wake: (runId: string, by: WakeCause) => void,
  ) {}

  get size(): number {
    return this.parked.size;
  }

  has(runId: string): boolean {
    return this.parked.has(runId);
  }

  /** Whether the run is parked here waiting for a signal named `name`. */
  waitsFor(runId: string, name: string): boolean {
    return this.parked.get(runId)?.signals.includes(name) ?? false;
  }

  add(runId: string, wake: RunWake): void {
    if (this.stopped) return;
    this.parked.set(runId, wake);
    if (wake.at === null) return;
    this.push({ at: wake.at, runId });
    if (this.armedAt === null || wake.at < this.armedAt) this.arm();
  }

  remove(runId: string): void {
    this.parked.delete(runId);
  }

  /** Forgets every run and cancels the timer: nothing is woken after this. */
  stop(): void {
    this.stopped = true;
    this.disarm?.();
    this.disarm = null;
    this.armedAt = null;
    this.parked.clear();
    this.heap.length = 0;
  }

  private arm(): void {
    this.disarm?.();
    this.disarm = null;
    this.armedAt = null;
    const top = this.heap[0];
    if (!top || this.stopped) return;
    this.armedAt = top.at;
    this.disarm = startTimer(this.clock, top.at - this.clock.now(), () => {
      this.disarm = null;
      this.armedAt = null;
      this.fire();
    });
  }

  private fire(): void {
    const now = this.clock.now();
    const due: string[] = [];
    for (let top = this.heap[0]; top && top.at <= now; top = this.heap[0]) {
      this.pop();
      // Skipped when the run was removed, or parked again with another deadline since.
      if (this.parked.get(top.runId)?.at !== top.at) continue;
      this.parked.delete(top.runId);
      due.push(top.runId);
    }
    this.arm();
    for (const runId of due) this.wake(runId, "timer");
  }

  private push(entry: { at: number; runId: string }): void {
    const h = this.heap;
    h.push(entry);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if ((h[parent] as { at: number }).at <= entry.at) break;
      h[i] = h[parent] as { at: number; runId: string };
      i = parent;
    }
    h[i] = entry;
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop();
    if (!last || h.length === 0) return;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let smallest = i;
      let at = last.at;
      if (l < h.length && (h[l] as { at: number }).at < at) {
        smallest = l;
        at = (h[l] as { at: number }).at;
      }
      if (r < h.length && (h[r] as { at: number }).at < at) smallest = r;
      if (smallest === i) break;
      h[i] = h[smallest] as { at: number; runId: string };
      i = smallest;
    }
    h[i] = last;
  }
}
