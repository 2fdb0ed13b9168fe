/**
 * Delivery: one notification to several channels at once. A channel that fails never stops the
 * others; each is retried as the engine retries a step — the engine's own decision (`decide`:
 * the built-in recovery patterns for network errors, 429/5xx and timeouts, Retry-After honoured,
 * the patterns' backoff and jitter) and the injected clock's sleep — within a bound: a retry is
 * made only when its wait ends within `retryWithinMs` (60 s) of the delivery's first attempt, so
 * a rate limit that asks for hours fails the delivery instead of holding it for hours.
 *
 * Each channel takes its notifications one after the other, in the order they were handed over
 * (a resolved notice never overtakes its firing one); channels do not wait for each other. An
 * aborted signal (the host stops) ends the waits and starts no further attempt.
 */
import {
  type Clock,
  compilePatterns,
  DEFAULT_PATTERNS,
  type Logger,
  maskingLogger,
  maskText,
  mathRandom,
  nullLogger,
  type Random,
  type RecoveryPattern,
  type RetrySpec,
  SecretMasker,
  toErrorInfo,
} from "../../engine/index.js";
import { decide, RecoveryState } from "../../engine/executor/decide.js";
import type { DeliveryResult, NotificationSink } from "./manager.js";
import type { AlertChannel, AlertNotification } from "./types.js";

/** Errors no recovery pattern matches (a 400, a refused login) are not retried. */
export const CHANNEL_RETRY: Readonly<RetrySpec> = Object.freeze({
  maxAttempts: 1,
  backoff: "exponential",
  baseDelayMs: 1_000,
  maxDelayMs: 30_000,
  jitter: "full",
});

/** How long after a delivery's first attempt its last retry may start (see the module comment). */
export const ALERT_RETRY_WITHIN_MS = 60_000;

export interface AlertDispatcherOptions {
  channels: readonly AlertChannel[];
  /** The clock retries sleep on. */
  clock: Clock;
  /** @default mathRandom */
  random?: Random;
  /** Retry of errors that no pattern matches. @default CHANNEL_RETRY (none) */
  retry?: RetrySpec;
  /** @default DEFAULT_PATTERNS (network, 429, 5xx, timeouts, GitHub's rate limits) */
  patterns?: readonly RecoveryPattern[];
  logger?: Logger;
  /** The configured secrets (webhook URLs, passwords, keys): masked in logs and results. */
  secrets?: readonly string[];
  /** A retry whose wait would end later than this after the first attempt is not made. @default ALERT_RETRY_WITHIN_MS */
  retryWithinMs?: number;
  /** Aborts every delivery: retries' sleeps end, no attempt starts (the host is shutting down). */
  signal?: AbortSignal;
}

export class AlertDispatcher implements NotificationSink {
  private readonly channels: Map<string, AlertChannel>;
  private readonly patterns;
  private readonly masker: SecretMasker;
  private readonly logger: Logger;
  /** Per channel: its last delivery handed over (the next one starts when it ends). */
  private readonly queues = new Map<string, Promise<DeliveryResult>>();

  constructor(private readonly options: AlertDispatcherOptions) {
    const within = options.retryWithinMs;
    if (within !== undefined && !(Number.isSafeInteger(within) && within >= 0))
      throw new TypeError(`AlertDispatcher: retryWithinMs must be a non-negative integer, got ${within}`);
    this.channels = new Map(options.channels.map((c) => [c.name, c]));
    this.patterns = compilePatterns(options.patterns ?? DEFAULT_PATTERNS);
    this.masker = new SecretMasker(options.secrets ?? []);
    this.logger = maskingLogger(options.logger ?? nullLogger, this.masker);
  }

  /** Names of the configured channels. */
  names(): string[] {
    return [...this.channels.keys()];
  }

  /**
   * Sends to each named channel that is configured (others are skipped), all at once; each channel
   * after the notifications handed to it before. Resolves when every channel is done. `signal`
   * aborts this delivery (as the options' signal aborts all).
   */
  async deliver(
    notification: AlertNotification,
    names: readonly string[] = this.names(),
    signal?: AbortSignal,
  ): Promise<DeliveryResult[]> {
    const targets = [...new Set(names)].flatMap((name) => {
      const channel = this.channels.get(name);
      if (!channel) this.logger.debug(`alert ${notification.groupKey}: channel '${name}' is not configured`);
      return channel ? [channel] : [];
    });
    const signals = [this.options.signal, signal].filter((s): s is AbortSignal => s !== undefined);
    const abort = signals.length > 1 ? AbortSignal.any(signals) : signals[0];
    return Promise.all(targets.map((channel) => this.enqueue(channel, notification, abort)));
  }

  /** Runs the delivery after the channel's earlier ones. */
  private enqueue(
    channel: AlertChannel,
    notification: AlertNotification,
    signal: AbortSignal | undefined,
  ): Promise<DeliveryResult> {
    const next = () => this.deliverOne(channel, notification, signal);
    const run = (this.queues.get(channel.name) ?? Promise.resolve()).then(next, next);
    this.queues.set(channel.name, run);
    const clear = () => {
      if (this.queues.get(channel.name) === run) this.queues.delete(channel.name);
    };
    run.then(clear, clear);
    return run;
  }

  private async deliverOne(
    channel: AlertChannel,
    notification: AlertNotification,
    signal: AbortSignal | undefined,
  ): Promise<DeliveryResult> {
    const { clock } = this.options;
    const within = this.options.retryWithinMs ?? ALERT_RETRY_WITHIN_MS;
    const state = new RecoveryState(0);
    const step = { retry: this.options.retry ?? CHANNEL_RETRY };
    const started = clock.now();
    const abandoned = (attempts: number): DeliveryResult => {
      this.logger.warn(
        `alert ${notification.status} ${notification.rule}: delivery to ${channel.name} abandoned (stopping)`,
        { attempts },
      );
      return { channel: channel.name, ok: false, attempts, error: "aborted: alerting stopped" };
    };
    for (let attempt = 1; ; attempt++) {
      if (signal?.aborted) return abandoned(attempt - 1);
      try {
        await channel.send(notification, signal);
        this.logger.info(`alert ${notification.status} ${notification.rule} sent to ${channel.name}`, {
          attempt,
        });
        return { channel: channel.name, ok: true, attempts: attempt };
      } catch (e) {
        if (signal?.aborted) return abandoned(attempt);
        const info = toErrorInfo(e);
        const message = this.mask(info.message);
        const now = clock.now();
        const decision = decide(info, step, this.patterns, state, this.options.random ?? mathRandom, now);
        const failed = `alert ${notification.rule}: channel ${channel.name} failed after ${attempt} attempt(s): ${message}`;
        if (decision.kind !== "retry") {
          this.logger.error(failed);
          return { channel: channel.name, ok: false, attempts: attempt, error: message };
        }
        if (now + decision.delayMs > started + within) {
          this.logger.error(
            `${failed}; not retried: the wait asked (${decision.delayMs} ms) ends past the ${within} ms a delivery is retried for`,
            { pattern: decision.pattern?.id ?? null },
          );
          return { channel: channel.name, ok: false, attempts: attempt, error: message };
        }
        this.logger.warn(
          `alert ${notification.rule}: channel ${channel.name} failed (${message}); retrying in ${decision.delayMs} ms`,
          { attempt, pattern: decision.pattern?.id ?? null },
        );
        try {
          await clock.sleep(decision.delayMs, signal);
        } catch {
          return abandoned(attempt);
        }
      }
    }
  }

  private mask(text: string): string {
    return maskText(text, this.masker);
  }
}
