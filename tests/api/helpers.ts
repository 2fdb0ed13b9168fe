/** Shared by the host-API tests: an engine on a fake clock and waiting for its events. */
import { createEngine, type Engine, type EngineEvent, type EngineOptions, type EventType } from "stageflow";
import { FakeClock, MemoryJournal } from "stageflow/testing";

export const T0 = Date.UTC(2026, 0, 1);

export function engineOn(options: Partial<EngineOptions> = {}) {
  const clock = (options.clock as FakeClock | undefined) ?? new FakeClock(T0);
  const journal = options.journal ?? new MemoryJournal();
  const engine = createEngine({ defaultPatterns: false, ...options, journal, clock });
  return { engine, journal, clock };
}

/** Resolves with the next event of `type` (for `runId`, when given) the engine delivers. */
export function nextEvent<T extends EventType>(
  engine: Engine,
  type: T,
  runId?: string,
): Promise<Extract<EngineEvent, { type: T }>> {
  return new Promise((resolve) => {
    const off = engine.on((event) => {
      if (event.type === type && (runId === undefined || event.runId === runId)) {
        off();
        resolve(event as Extract<EngineEvent, { type: T }>);
      }
    });
  });
}

/** Events of the run as delivered, in order. */
export function collect(engine: Engine, runId?: () => string | undefined): EngineEvent[] {
  const events: EngineEvent[] = [];
  engine.on((event) => {
    const id = runId?.();
    if (id === undefined || event.runId === id) events.push(event);
  });
  return events;
}
