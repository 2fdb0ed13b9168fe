import type { EventBus } from "../bus.js";
import type { EventPayloads, EventType, NewEvent } from "../events.js";
import type {
  AttemptFinish,
  AttemptStart,
  DefinitionReplacement,
  Journal,
  NewCheckpoint,
  RunPatch,
} from "../journal.js";
import type { Clock } from "../ports.js";
import { NO_SECRETS, type SecretMasker } from "../secrets/index.js";

/** What a RunRecorder writes through, and the run it records. */
export interface RunRecorderOptions {
  journal: Journal;
  bus: EventBus;
  clock: Clock;
  runId: string;
  correlationId: string;
}

/**
 * Writes one run's state changes to the journal together with the events that describe them,
 * and hands the events to subscribers only once they are durable.
 */
export class RunRecorder {
  /**
   * The run's secret values: masked in every event payload, attempt error, decision and run error
   * before it is journaled (and so before subscribers see it). Outputs are masked where they are
   * made (StepAttempts.succeed), since their checkpoint's checksum covers them.
   */
  masker: SecretMasker = NO_SECRETS;

  private readonly journal: Journal;
  private readonly bus: EventBus;
  private readonly clock: Clock;
  readonly runId: string;
  readonly correlationId: string;

  constructor(options: RunRecorderOptions) {
    this.journal = options.journal;
    this.bus = options.bus;
    this.clock = options.clock;
    this.runId = options.runId;
    this.correlationId = options.correlationId;
  }

  /** A new event of this run, at `at` (default: now). */
  event<T extends EventType>(
    type: T,
    payload: EventPayloads[T],
    dedupeKey?: string,
    at = this.clock.now(),
  ): NewEvent<T> {
    const e: NewEvent<T> = {
      runId: this.runId,
      correlationId: this.correlationId,
      type,
      at,
      payload: this.masker.active ? this.masker.deep(payload) : payload,
    };
    if (dedupeKey !== undefined) e.dedupeKey = dedupeKey;
    return e;
  }

  private publish(events: NewEvent[]): void {
    this.bus.emit(events);
  }

  async emit(events: NewEvent[]): Promise<void> {
    await this.journal.appendEvents(events);
    this.publish(events);
  }

  /**
   * Records events that describe no state of their own (a stage started or ended) without making
   * the run wait for their commit: they commit with the run's next write, in order, and reach
   * subscribers once durable. The promise is for callers that must know (a crash point).
   */
  note(events: NewEvent[]): Promise<void> {
    const written = this.journal.appendEvents(events).then(() => this.publish(events));
    written.catch(() => {});
    return written;
  }

  async updateRun(patch: Omit<RunPatch, "updatedAt">, events: NewEvent[]): Promise<void> {
    const masked =
      patch.error && this.masker.active ? { ...patch, error: this.masker.deep(patch.error) } : patch;
    await this.journal.updateRun(this.runId, { ...masked, updatedAt: this.clock.now() }, events);
    this.publish(events);
  }

  async replaceDefinition(replacement: DefinitionReplacement, events: NewEvent[]): Promise<void> {
    await this.journal.replaceDefinition(this.runId, replacement, events);
    this.publish(events);
  }

  async startAttempt(attempt: AttemptStart, events: NewEvent[]): Promise<void> {
    await this.journal.startAttempt(attempt, events);
    this.publish(events);
  }

  async finishAttempt(
    attempt: AttemptFinish,
    checkpoint: NewCheckpoint | null,
    events: NewEvent[],
  ): Promise<void> {
    await this.journal.finishAttempt(this.masker.deep(attempt), checkpoint, events);
    this.publish(events);
  }

  async putCheckpoint(checkpoint: NewCheckpoint, events: NewEvent[]): Promise<void> {
    await this.journal.putCheckpoint(checkpoint, events);
    this.publish(events);
  }

  /** Journals what an attempt's handler started outside the engine (see Journal.recordProcess). */
  recordProcess(stepId: string, attempt: number, kind: string, process: unknown): Promise<void> {
    const recordedAt = this.clock.now();
    return this.journal.recordProcess({ runId: this.runId, stepId, attempt, kind, process, recordedAt });
  }
}
