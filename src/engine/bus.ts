import type { EngineEvent, EventListener, NewEvent, SubscribeOptions, Subscription } from "./events.js";
import type { Journal } from "./journal.js";
import type { Logger } from "./ports.js";

/** Events read from the journal per page while a subscription catches up. */
const PAGE = 500;
const DEFAULT_MAX_QUEUE = 10_000;
/**
 * Delivery rounds are queued as reactions to this promise: cheaper than Node's queueMicrotask,
 * which makes an AsyncResource and a bound function per call.
 */
const RESOLVED = Promise.resolve();

/**
 * Delivers durable events to subscribers, each event with its journal `seq`.
 *
 * The journal sets `seq` on every event it appends (NewEvent.seq); the recorder publishes events
 * here once their write resolved, which is commit order. Each subscription has its own queue and
 * delivers from it asynchronously (a microtask after the publish), awaiting a listener that
 * returns a promise before the next event: a slow or throwing listener holds up neither runs nor
 * other listeners. Its failures are counted and logged. A subscription that is behind (catching up
 * from `afterSeq`, or whose queue overflowed `maxQueue`) reads pages from the journal instead, and
 * takes live events again once it reaches the end: the journal is the queue of last resort, so
 * no event is lost and, since a subscription skips any seq it already delivered, none repeats.
 */
export class EventBus {
  private readonly subscriptions = new Set<Sub>();

  constructor(
    private readonly logger: Logger,
    private readonly journal: Journal,
  ) {}

  on(listener: EventListener, options: SubscribeOptions = {}): Subscription {
    const sub = new Sub(listener, options, this.journal, this.logger, () => this.subscriptions.delete(sub));
    this.subscriptions.add(sub);
    return sub.handle();
  }

  get active(): boolean {
    return this.subscriptions.size > 0;
  }

  /** Events whose write has resolved (durable). Events without a `seq` (duplicates) are skipped. */
  emit(events: readonly NewEvent[]): void {
    if (this.subscriptions.size === 0) return;
    for (const sub of this.subscriptions) sub.publish(events);
  }

  /** Resolves once every subscription has delivered what was published so far. */
  async idle(): Promise<void> {
    await Promise.all([...this.subscriptions].map((sub) => sub.idle()));
  }
}

class Sub {
  failures = 0;
  readFailures = 0;
  overflows = 0;
  lastSeq: number;
  private readonly queue: EngineEvent[] = [];
  private readonly types: ReadonlySet<string> | undefined;
  private readonly maxQueue: number;
  /** Reading the journal from lastSeq instead of taking live events from the queue. */
  private behind: boolean;
  /** Until the journal's last seq is known (no afterSeq given): live events are only held. */
  private starting: Promise<void> | null = null;
  private running: Promise<void> | null = null;
  private closed = false;

  constructor(
    private readonly listener: EventListener,
    private readonly options: SubscribeOptions,
    private readonly journal: Journal,
    private readonly logger: Logger,
    private readonly remove: () => void,
  ) {
    this.types = options.types ? new Set(options.types) : undefined;
    this.maxQueue = options.maxQueue ?? DEFAULT_MAX_QUEUE;
    if (!(this.maxQueue > 0)) throw new TypeError(`maxQueue must be a positive number, got ${this.maxQueue}`);
    this.lastSeq = options.afterSeq ?? 0;
    this.behind = options.afterSeq !== undefined;
    if (options.afterSeq === undefined) {
      this.starting = this.journal.lastEventSeq().then(
        (seq) => {
          // Events held meanwhile that the journal already had are not live for this subscriber.
          this.lastSeq = Math.max(this.lastSeq, seq);
          this.starting = null;
          this.kick();
        },
        (error: unknown) => {
          this.readFailed(error);
          this.starting = null;
          this.kick();
        },
      );
    } else {
      this.kick();
    }
  }

  handle(): Subscription {
    const close = () => this.close();
    return Object.defineProperties(close, {
      close: { value: close },
      failures: { get: () => this.failures },
      readFailures: { get: () => this.readFailures },
      overflows: { get: () => this.overflows },
      lastSeq: { get: () => this.lastSeq },
      idle: { value: () => this.idle() },
    }) as unknown as Subscription;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.queue.length = 0;
    this.head = 0;
    this.remove();
  }

  private matches(e: NewEvent): boolean {
    if (this.options.runId !== undefined && e.runId !== this.options.runId) return false;
    return !this.types || this.types.has(e.type);
  }

  publish(events: readonly NewEvent[]): void {
    if (this.closed) return;
    let added = false;
    for (const e of events) {
      if (e.seq === undefined || !this.matches(e)) continue;
      if (this.behind) {
        added = this.again = true; // read from the journal (again, if a page is being read)
        continue;
      }
      this.queue.push(e as EngineEvent);
      added = true;
    }
    if (this.queue.length - this.head > this.maxQueue) {
      this.overflows++;
      this.logger.warn("event listener is behind; reading its events from the journal", {
        queued: this.queue.length - this.head,
      });
      this.queue.length = 0;
      this.head = 0;
      this.behind = true;
    }
    if (added) this.kick();
  }

  async idle(): Promise<void> {
    while (this.starting || this.running || this.scheduled) {
      // Awaiting RESOLVED now goes on after the round already queued.
      await (this.starting ?? this.running ?? RESOLVED);
    }
  }

  /**
   * Schedules a delivery round (one microtask: a reaction to RESOLVED). Live events are delivered synchronously in that
   * round, one after the other, until the queue is empty or a listener returns a promise: then
   * the round waits for it and the next round goes on. A subscription that is behind catches up
   * from the journal instead (asynchronously).
   */
  private kick(): void {
    if (this.scheduled || this.running || this.starting || this.closed) return;
    this.scheduled = true;
    void RESOLVED.then(this.drain);
  }

  /** Set when events were published while a page was being read. */
  private again = false;
  /** A delivery round is queued (a microtask). */
  private scheduled = false;
  /** The next event of `queue` to deliver (events before it were delivered). */
  private head = 0;

  private readonly drain = (): void => {
    this.scheduled = false;
    if (this.running || this.starting) return;
    while (!this.closed && !this.behind) {
      const event = this.queue[this.head];
      if (event === undefined) {
        // Emptied now and then, not at every round (setting an array's length is a runtime call):
        // at most 64 delivered events stay referenced meanwhile.
        if (this.head >= 64) {
          this.queue.length = 0;
          this.head = 0;
        }
        return;
      }
      this.head++;
      const pending = this.deliver(event);
      if (pending) return this.wait(pending);
    }
    if (!this.closed) this.wait(this.catchUp());
  };

  /** Holds the next round until `pending` settled (it never rejects). */
  private wait(pending: Promise<void>): void {
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
    this.running = pending.then(() => {
      this.running = null;
      if (this.queue.length > this.head || (this.behind && this.again)) this.kick();
    });
  }

  /** Reads pages from the journal until the end is reached with nothing published meanwhile. */
  private async catchUp(): Promise<void> {
    while (!this.closed && this.behind) {
      this.again = false;
      const caughtUp = await this.readPage();
      if (caughtUp === undefined) return; // the read failed: retried at the next event
      // Live from here, unless events were published while the page was read: read again.
      if (caughtUp && !this.again) this.behind = false;
    }
  }

  /** Delivers one page from the journal. true: it was the last page (live from here). */
  private async readPage(): Promise<boolean | undefined> {
    let page;
    try {
      page = await this.journal.listEventsAfter(this.lastSeq, {
        ...(this.options.runId !== undefined ? { runId: this.options.runId } : {}),
        ...(this.options.types ? { types: this.options.types } : {}),
        limit: PAGE,
      });
    } catch (error) {
      this.readFailed(error);
      return undefined;
    }
    for (const record of page) {
      if (this.closed) return true;
      const { hash: _hash, ...event } = record;
      const pending = this.deliver(event as EngineEvent);
      if (pending) await pending;
    }
    return page.length < PAGE;
  }

  private readFailed(error: unknown): void {
    this.readFailures++;
    this.logger.error("could not read events for a listener", { error: String(error) });
  }

  /**
   * Hands one event to the listener. A synchronous listener is called and done (no promise, no
   * extra tick per event: the round goes on at once); an asynchronous one gives its promise, which
   * the round waits for before the next event.
   */
  private deliver(event: EngineEvent): Promise<void> | undefined {
    if (event.seq <= this.lastSeq || this.closed) return undefined;
    this.lastSeq = event.seq;
    let result: unknown;
    try {
      result = this.listener(event);
    } catch (error) {
      this.listenerFailed(event, error);
      return undefined;
    }
    if (result && typeof (result as Promise<void>).then === "function") {
      return (result as Promise<void>).then(undefined, (error: unknown) => this.listenerFailed(event, error));
    }
    return undefined;
  }

  private listenerFailed(event: EngineEvent, error: unknown): void {
    this.failures++;
    this.logger.error("event listener failed", { type: event.type, seq: event.seq, error: String(error) });
  }
}
