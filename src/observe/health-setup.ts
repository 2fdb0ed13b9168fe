/**
 * The checks each host registers. A journal's checks (writable, integrity, recovery success rate,
 * disk space) are what `stageflow health` runs; the app adds its inbox lag, GitHub, the event
 * loop and memory.
 */
import { dirname, resolve } from "node:path";
import type { Clock, Journal } from "../engine/index.js";
import { HealthRegistry } from "./health.js";
import {
  diskSpaceCheck,
  eventLoopLagCheck,
  githubReachableCheck,
  type InboxStatsSource,
  inboxLagCheck,
  journalIntegrityCheck,
  journalWritableCheck,
  memoryCheck,
  recoveryRateCheck,
} from "./health-checks.js";

export interface JournalHealthOptions {
  journal: Pick<Journal, "verify" | "listEventsAfter">;
  /** The journal's file (its directory is written to and its file system measured). `:memory:`: neither. */
  path: string;
  clock?: Clock;
}

/** The journal's checks, registered on `registry`. */
export function registerJournalChecks(registry: HealthRegistry, options: JournalHealthOptions): void {
  const clock = options.clock ?? registry.clock;
  if (options.path !== ":memory:" && options.path !== "") {
    const dir = dirname(resolve(options.path));
    registry.register(journalWritableCheck({ dir }));
    registry.register(diskSpaceCheck({ dir }));
  }
  registry.register(journalIntegrityCheck({ journal: options.journal, clock }));
  registry.register(recoveryRateCheck({ journal: options.journal, clock }));
}

export interface AppHealthOptions extends JournalHealthOptions {
  /** The app's inbox (AppStore). */
  inbox: InboxStatsSource;
  /** Calls GitHub once (e.g. GET /app); the result is cached for a minute. */
  githubPing?: (signal: AbortSignal) => Promise<unknown>;
}

/** The app's registry: the journal's checks, inbox lag, GitHub, event-loop lag and memory. */
export function createAppHealth(options: AppHealthOptions): { registry: HealthRegistry; stop(): void } {
  const registry = new HealthRegistry({ clock: options.clock });
  registerJournalChecks(registry, options);
  registry.register(inboxLagCheck({ inbox: options.inbox, clock: registry.clock }));
  if (options.githubPing)
    registry.register(githubReachableCheck({ ping: options.githubPing, clock: registry.clock }));
  const loop = eventLoopLagCheck();
  registry.register(loop);
  registry.register(memoryCheck());
  return { registry, stop: () => loop.stop() };
}
