/**
 * The health checks a host registers: the journal (writable, integrity), the app's inbox lag,
 * GitHub reachable, the recovery success rate, and the process (event-loop lag, memory, disk).
 * Each is a factory of a HealthCheck; what it reads is injected, so tests hand it fakes.
 */
import { randomBytes } from "node:crypto";
import { open, statfs, unlink } from "node:fs/promises";
import { join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { getHeapStatistics } from "node:v8";
import {
  type Clock,
  type EventRecord,
  formatDuration,
  type Journal,
  RECOVERY_SUCCESS_TARGET,
  systemClock,
} from "../engine/index.js";
import type { CheckOutcome, HealthCheck } from "./health.js";

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

/**
 * "journal writable" (critical): creates a file in the journal's directory, writes to it, syncs
 * and removes it: a real write, so a read-only directory, a full disk or a lost mount fail it.
 */
export function journalWritableCheck(options: { dir: string; timeoutMs?: number }): HealthCheck {
  const { dir } = options;
  return {
    name: "journal writable",
    critical: true,
    timeoutMs: options.timeoutMs,
    recommendation: `make ${dir} writable by this process and check the disk is not full or read-only`,
    async run() {
      const file = join(dir, `.stageflow-health-${process.pid}-${randomBytes(4).toString("hex")}`);
      try {
        const handle = await open(file, "wx", 0o600);
        try {
          await handle.write("stageflow health\n");
          await handle.sync();
        } finally {
          await handle.close();
        }
      } catch (e) {
        return { state: "fail", message: `cannot write in ${dir}: ${errorText(e)}` };
      } finally {
        await unlink(file).catch(() => {});
      }
      return { state: "pass", message: `wrote, synced and removed a file in ${dir}` };
    },
  };
}

/**
 * "journal integrity" (critical): the journal's own verify() (SQLite's integrity and foreign-key
 * checks and every checkpoint's checksum). It reads the whole file, so its result is kept for
 * `everyMs` and reused meanwhile.
 */
export function journalIntegrityCheck(options: {
  journal: Pick<Journal, "verify">;
  clock?: Pick<Clock, "now">;
  /** @default 900000 (15 min) */
  everyMs?: number;
  timeoutMs?: number;
}): HealthCheck {
  const clock = options.clock ?? systemClock;
  const everyMs = options.everyMs ?? 15 * 60_000;
  let cached: { at: number; outcome: CheckOutcome } | undefined;
  return {
    name: "journal integrity",
    critical: true,
    timeoutMs: options.timeoutMs ?? 30_000,
    recommendation:
      "restore the journal from a backup, or run `stageflow diagnostics` and keep the damaged file for analysis",
    async run() {
      const now = clock.now();
      if (cached && now - cached.at < everyMs) return cached.outcome;
      const { ok, problems } = await options.journal.verify();
      const outcome: CheckOutcome = ok
        ? { state: "pass", message: "integrity, foreign keys and checkpoint checksums are sound", value: 0 }
        : {
            state: "fail",
            message: `${problems.length} problem(s): ${problems.slice(0, 3).join("; ")}`,
            value: problems.length,
          };
      cached = { at: now, outcome };
      return outcome;
    },
  };
}

/** What inbox lag reads (the app's AppStore has it). */
export interface InboxStatsSource {
  inboxStats(): Promise<{ pending: number; oldestPendingAt: number | null; total: number }>;
}

/** "inbox lag": how long the oldest pending webhook delivery has waited. */
export function inboxLagCheck(options: {
  inbox: InboxStatsSource;
  clock?: Pick<Clock, "now">;
  /** @default 60000 */
  warnMs?: number;
  /** @default 600000 */
  failMs?: number;
  critical?: boolean;
}): HealthCheck {
  const clock = options.clock ?? systemClock;
  const warnMs = options.warnMs ?? 60_000;
  const failMs = options.failMs ?? 600_000;
  return {
    name: "inbox lag",
    critical: options.critical ?? false,
    recommendation:
      "the inbox worker falls behind: look for a delivery that hangs in the logs, or raise the worker's concurrency",
    async run() {
      const { pending, oldestPendingAt } = await options.inbox.inboxStats();
      const lag = oldestPendingAt === null ? 0 : Math.max(0, clock.now() - oldestPendingAt);
      const message = `${pending} pending deliveries, the oldest waiting ${formatDuration(lag)}`;
      const state = lag >= failMs ? "fail" : lag >= warnMs ? "warn" : "pass";
      return { state, message, value: lag };
    },
  };
}

/**
 * "GitHub API reachable": `ping` calls GitHub (e.g. GET /app); its result is kept for `cacheMs`
 * so a probe every few seconds does not spend the rate limit.
 */
export function githubReachableCheck(options: {
  ping: (signal: AbortSignal) => Promise<unknown>;
  clock?: Pick<Clock, "now">;
  /** @default 60000 */
  cacheMs?: number;
  timeoutMs?: number;
}): HealthCheck {
  const clock = options.clock ?? systemClock;
  const cacheMs = options.cacheMs ?? 60_000;
  let cached: { at: number; outcome: CheckOutcome } | undefined;
  return {
    name: "GitHub API reachable",
    critical: false,
    timeoutMs: options.timeoutMs,
    recommendation: "check the network, GitHub's status page and the app's credentials",
    async run(signal) {
      const now = clock.now();
      if (cached && now - cached.at < cacheMs) return cached.outcome;
      let outcome: CheckOutcome;
      try {
        await options.ping(signal);
        outcome = { state: "pass", message: "GitHub's API answered" };
      } catch (e) {
        outcome = { state: "fail", message: `GitHub's API did not answer: ${errorText(e)}` };
      }
      cached = { at: now, outcome };
      return outcome;
    },
  };
}

const RECOVERY_TYPES = ["recovery.succeeded", "recovery.failed"] as const;

/**
 * "recovery success rate": recovered episodes / ended episodes over the last `windowMs`, read
 * from the journal incrementally (only events after the last one seen).
 */
export function recoveryRateCheck(options: {
  journal: Pick<Journal, "listEventsAfter">;
  clock?: Pick<Clock, "now">;
  /** @default 86400000 (24 h) */
  windowMs?: number;
  /** Below it: warn. @default 0.9 */
  target?: number;
  /** Below it: fail. @default 0.8 */
  minimum?: number;
}): HealthCheck {
  const clock = options.clock ?? systemClock;
  const windowMs = options.windowMs ?? 86_400_000;
  const target = options.target ?? RECOVERY_SUCCESS_TARGET;
  const minimum = options.minimum ?? 0.8;
  let afterSeq = 0;
  let episodes: { at: number; ok: boolean }[] = [];
  /** The read in flight: probes that overlap (two at once, or one that timed out and goes on) share it. */
  let reading: Promise<void> | null = null;
  const catchUp = async () => {
    for (;;) {
      const page: EventRecord[] = await options.journal.listEventsAfter(afterSeq, {
        types: RECOVERY_TYPES,
        limit: 1000,
      });
      for (const e of page) {
        if (e.seq <= afterSeq) continue;
        episodes.push({ at: e.at, ok: e.type === "recovery.succeeded" });
        afterSeq = e.seq;
      }
      if (page.length < 1000) break;
    }
  };
  return {
    name: "recovery success rate",
    critical: false,
    recommendation:
      "recovery gives up too often: run `stageflow stats` to see which error types fail, and add recovery patterns or alternatives",
    async run() {
      reading ??= catchUp().finally(() => {
        reading = null;
      });
      await reading;
      const from = clock.now() - windowMs;
      episodes = episodes.filter((e) => e.at >= from);
      if (episodes.length === 0)
        return {
          state: "pass",
          message: `no recovery ended in the last ${formatDuration(windowMs)}`,
          value: null,
        };
      const rate = episodes.filter((e) => e.ok).length / episodes.length;
      const message = `${(rate * 100).toFixed(1)}% of ${episodes.length} recoveries succeeded in the last ${formatDuration(windowMs)} (target ${target * 100}%)`;
      return { state: rate < minimum ? "fail" : rate < target ? "warn" : "pass", message, value: rate };
    },
  };
}

/**
 * "event-loop lag": the 99th percentile of the event loop's delay since the last check
 * (perf_hooks.monitorEventLoopDelay), or what `sample` returns (ms).
 */
export function eventLoopLagCheck(
  options: {
    sample?: () => number;
    /** @default 200 */
    warnMs?: number;
    /** @default 1000 */
    failMs?: number;
  } = {},
): HealthCheck & { stop(): void } {
  let histogram: ReturnType<typeof monitorEventLoopDelay> | undefined;
  const sample =
    options.sample ??
    (() => {
      if (!histogram) {
        histogram = monitorEventLoopDelay({ resolution: 20 });
        histogram.enable();
        return 0;
      }
      const p99 = histogram.percentile(99) / 1e6;
      histogram.reset();
      return Number.isFinite(p99) ? p99 : 0;
    });
  if (!options.sample) sample(); // start measuring now
  const warnMs = options.warnMs ?? 200;
  const failMs = options.failMs ?? 1000;
  return {
    name: "event-loop lag",
    critical: false,
    recommendation: "something blocks the event loop: profile the process (large journals, synchronous work)",
    run() {
      const lag = sample();
      const state = lag >= failMs ? "fail" : lag >= warnMs ? "warn" : "pass";
      return { state, message: `p99 event-loop delay ${Math.round(lag)}ms`, value: Math.round(lag) };
    },
    stop: () => histogram?.disable(),
  };
}

/** "memory": the JavaScript heap in use against the heap's limit (or what `sample` returns). */
export function memoryCheck(
  options: {
    sample?: () => { usedBytes: number; limitBytes: number };
    /** @default 0.8 */
    warnRatio?: number;
    /** @default 0.95 */
    failRatio?: number;
  } = {},
): HealthCheck {
  const sample =
    options.sample ??
    (() => {
      const heap = getHeapStatistics();
      return { usedBytes: heap.used_heap_size, limitBytes: heap.heap_size_limit };
    });
  const warnRatio = options.warnRatio ?? 0.8;
  const failRatio = options.failRatio ?? 0.95;
  return {
    name: "memory",
    critical: false,
    recommendation: "the heap is nearly full: restart the process, or raise --max-old-space-size",
    run() {
      const { usedBytes, limitBytes } = sample();
      const ratio = usedBytes / limitBytes;
      const state = ratio >= failRatio ? "fail" : ratio >= warnRatio ? "warn" : "pass";
      return {
        state,
        message: `heap ${sizeText(usedBytes)} of ${sizeText(limitBytes)} (${(ratio * 100).toFixed(0)}%)`,
        value: usedBytes,
      };
    },
  };
}

/** "disk space": free space on the journal's file system (fs.statfs). */
export function diskSpaceCheck(options: {
  dir: string;
  /** @default (dir) => fs.promises.statfs(dir) */
  statfs?: (dir: string) => Promise<{ bavail: number; blocks: number; bsize: number }>;
  /** Warn below this many free bytes. @default 1 GiB */
  warnBytes?: number;
  /** Fail below this many free bytes. @default 256 MiB */
  failBytes?: number;
}): HealthCheck {
  const { dir } = options;
  const read = options.statfs ?? ((d: string) => statfs(d));
  const warnBytes = options.warnBytes ?? GiB;
  const failBytes = options.failBytes ?? 256 * MiB;
  return {
    name: "disk space",
    critical: false,
    recommendation: `free space on the file system of ${dir}, or prune old runs (\`stageflow prune --older-than 30d\`)`,
    async run() {
      const s = await read(dir);
      const free = s.bavail * s.bsize;
      const total = s.blocks * s.bsize;
      const state = free < failBytes ? "fail" : free < warnBytes ? "warn" : "pass";
      return { state, message: `${sizeText(free)} free of ${sizeText(total)} at ${dir}`, value: free };
    },
  };
}

/** 1536 → "1.5 KiB", for messages. */
export function sizeText(bytes: number): string {
  const units = ["bytes", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} bytes` : `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
