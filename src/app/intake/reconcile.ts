/**
 * GitHub does not redeliver a failed webhook by itself. The reconciler lists the app's recent
 * deliveries (`GET /app/hook/deliveries`, as the app, with its JWT) and asks once for a
 * redelivery of each event (guid = `X-GitHub-Delivery`) whose every delivery failed — answered
 * 4xx/5xx, or not at all (status code 0: the server was down) — and that the inbox does not hold.
 */
import { type Clock, type Logger, startTimer } from "../../engine/ports.js";
import type { GitHubClient } from "../../github/client.js";
import type { AppStore } from "../state/types.js";

/** One delivery as `GET /app/hook/deliveries` lists it (the fields used here). */
interface HookDelivery {
  id: number;
  guid: string;
  delivered_at: string;
  redelivery: boolean;
  status_code: number;
  event: string;
  action?: string | null;
}

export interface ReconcileOptions {
  /** A client authenticated as the app (JWT), not as an installation. */
  appClient: GitHubClient;
  store: Pick<AppStore, "getDelivery">;
  /** Deliveries older than this (ms since the epoch) are not looked at; listing stops there. */
  since: number;
  clock: Pick<Clock, "now">;
  log: Logger;
  /** Pages of 100 read at most. @default 50 */
  maxPages?: number;
  /** An event already redelivered this many times (and failed again) is asked no more. @default 3 */
  maxRedeliveries?: number;
}

export interface ReconcileResult {
  /** Deliveries listed since `since`. */
  listed: number;
  pages: number;
  /** Events whose every delivery failed. */
  failed: number;
  /** ...of which the inbox holds the delivery (recorded; the answer was lost): nothing to do. */
  recorded: number;
  /** ...of which redelivery was asked for. */
  redelivered: number;
  /** ...of which were given up (redelivered `maxRedeliveries` times already). */
  givenUp: number;
  /** Redelivery requests that GitHub refused. */
  errors: number;
}

const succeeded = (d: HookDelivery) => d.status_code > 0 && d.status_code < 400;

/** The `cursor` of the `rel="next"` link, if any. */
export function nextCursor(link: string | undefined): string | undefined {
  for (const part of (link ?? "").split(",")) {
    const m = /<([^>]+)>\s*;\s*rel="?next"?/.exec(part);
    if (m) return new URL(m[1] as string).searchParams.get("cursor") ?? undefined;
  }
  return undefined;
}

/** One pass: lists, groups by guid, and asks for the redeliveries. See the module comment. */
export async function reconcileDeliveries(options: ReconcileOptions): Promise<ReconcileResult> {
  const { appClient, store, since, log } = options;
  const maxPages = options.maxPages ?? 50;
  const maxRedeliveries = options.maxRedeliveries ?? 3;
  const result: ReconcileResult = {
    listed: 0,
    pages: 0,
    failed: 0,
    recorded: 0,
    redelivered: 0,
    givenUp: 0,
    errors: 0,
  };
  const byGuid = new Map<string, HookDelivery[]>();
  let cursor: string | undefined;
  let older = false;
  do {
    const res = await appClient.request("GET /app/hook/deliveries", {
      per_page: 100,
      ...(cursor ? { cursor } : {}),
    });
    result.pages++;
    for (const d of res.data as HookDelivery[]) {
      if (Date.parse(d.delivered_at) < since) {
        older = true; // newest first: the rest is older still
        break;
      }
      result.listed++;
      byGuid.set(d.guid, [...(byGuid.get(d.guid) ?? []), d]);
    }
    cursor = nextCursor(res.headers.link);
  } while (cursor && !older && result.pages < maxPages);

  for (const [guid, deliveries] of byGuid) {
    if (deliveries.some(succeeded)) continue;
    result.failed++;
    if (await store.getDelivery(guid)) {
      result.recorded++;
      continue;
    }
    if (deliveries.filter((d) => d.redelivery).length >= maxRedeliveries) {
      result.givenUp++;
      continue;
    }
    const latest = deliveries.reduce((a, b) =>
      Date.parse(b.delivered_at) > Date.parse(a.delivered_at) ? b : a,
    );
    try {
      await appClient.request("POST /app/hook/deliveries/{delivery_id}/attempts", { delivery_id: latest.id });
      result.redelivered++;
      log.info("asked GitHub to redeliver a failed delivery", {
        delivery: guid,
        event: latest.action ? `${latest.event}.${latest.action}` : latest.event,
        statusCode: latest.status_code,
      });
    } catch (e) {
      result.errors++;
      log.warn("redelivery refused", { delivery: guid, error: e instanceof Error ? e.message : String(e) });
    }
  }
  return result;
}

export interface ReconcilerOptions extends Omit<ReconcileOptions, "since" | "clock"> {
  clock: Clock;
  /** Time between passes. @default 10 minutes */
  intervalMs?: number;
  /**
   * How far back the first pass (at start-up) looks, and the most any pass looks back; GitHub
   * keeps 3 days. @default 3 days
   */
  lookbackMs?: number;
}

export interface Reconciler {
  /** A pass now (passes never overlap); resolves with its counts. */
  runNow(): Promise<ReconcileResult>;
  /** Cancels the timer and waits for a pass in progress. */
  stop(): Promise<void>;
}

/**
 * Runs a pass at once and then every `intervalMs` on the clock. The first pass looks back
 * `lookbackMs`; later ones back to the start of the last pass that succeeded, or two intervals
 * before they start when that is earlier (room), never past `lookbackMs`. So a pass that fails
 * (GitHub answering 503) loses nothing: the next one that succeeds covers its time too. Until a
 * pass has succeeded, each looks back `lookbackMs`. A failed pass is logged and the next one runs
 * on time. The reconciler keeps nothing across restarts: a new process starts with the first rule.
 */
export function startReconciler(options: ReconcilerOptions): Reconciler {
  const { clock, log } = options;
  const intervalMs = options.intervalMs ?? 10 * 60_000;
  const lookbackMs = options.lookbackMs ?? 3 * 24 * 3_600_000;
  if (!(intervalMs > 0)) throw new TypeError(`intervalMs must be positive, got ${String(intervalMs)}`);
  /** When the last pass that succeeded started; undefined until one has. */
  let lastSucceededAt: number | undefined;
  let stopped = false;
  let cancel: (() => void) | undefined;
  let current: Promise<ReconcileResult> | undefined;

  const pass = (): Promise<ReconcileResult> => {
    if (current) return current;
    const startedAt = clock.now();
    const oldest = startedAt - lookbackMs;
    const since =
      lastSucceededAt === undefined
        ? oldest
        : Math.max(oldest, Math.min(lastSucceededAt, startedAt - 2 * intervalMs));
    current = reconcileDeliveries({ ...options, since, clock })
      .then((result) => {
        lastSucceededAt = startedAt;
        return result;
      })
      .finally(() => (current = undefined));
    return current;
  };
  const tick = () => {
    cancel = undefined;
    if (stopped) return;
    pass()
      .then((r) => log.debug("reconciled deliveries", { ...r }))
      .catch((e: unknown) =>
        log.warn("could not list the app's deliveries", {
          error: e instanceof Error ? e.message : String(e),
        }),
      )
      .finally(() => {
        if (!stopped) cancel = startTimer(clock, intervalMs, tick);
      });
  };
  tick();
  return {
    runNow: pass,
    async stop() {
      stopped = true;
      cancel?.();
      await current?.catch(() => {});
    },
  };
}
