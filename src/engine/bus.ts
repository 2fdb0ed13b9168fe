import type { EngineEvent, EventListener } from "./events.js";
import type { Logger } from "./ports.js";

/** Delivers durable events to subscribers. A throwing listener is logged, never propagated. */
export class EventBus {
  private readonly listeners = new Set<EventListener>();

  constructor(private readonly logger: Logger) {}

  on(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get active(): boolean {
    return this.listeners.size > 0;
  }

  emit(events: readonly EngineEvent[]): void {
    if (this.listeners.size === 0) return;
    for (const event of events) {
      for (const listener of this.listeners) {
        try {
          listener(event);
        } catch (error) {
          this.logger.error("event listener failed", { type: event.type, error: String(error) });
        }
      }
    }
  }
}
