/**
 * Delivery: one notification to several channels at once. A channel that fails never stops the
 * others; each is retried as the engine retries a step — the engine's own decision (`decide`:
 * the built-in recovery patterns for network errors, 429/5xx and timeouts, Retry-After honoured,
 * the patterns' backoff and jitter) and the injected clock's sleep.
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
  /** Aborts retries' sleeps (the host is shutting down). */
  signal?: AbortSignal;
}

export class AlertDispatcher implements NotificationSink {
  private readonly channels: Map<string, AlertChannel>;
  private readonly patterns;
  private readonly masker: SecretMasker;
  private readonly logger: Logger;

  constructor(private readonly options: AlertDispatcherOptions) {
    this.channels = new Map(options.channels.map((c) => [c.name, c]));
    this.patterns = compilePatterns(options.patterns ?? DEFAULT_PATTERNS);
    this.masker = new SecretMasker(options.secrets ?? []);
    this.logger = maskingLogger(options.logger ?? nullLogger, this.masker);
  }

  /** Names of the configured channels. */
  names(): string[] {
    return [...this.channels.keys()];
  }

  /** Sends to each named channel that is configured (others are skipped), all at once. */
  async deliver(
    notification: AlertNotification,
    names: readonly string[] = this.names(),
  ): Promise<DeliveryResult[]> {
    const targets = [...new Set(names)].flatMap((name) => {
      const channel = this.channels.get(name);
      if (!channel) this.logger.debug(`alert ${notification.groupKey}: channel '${name}' is not configured`);
      return channel ? [channel] : [];
    });
    return Promise.all(targets.map((channel) => this.deliverOne(channel, notification)));
  }

  private async deliverOne(channel: AlertChannel, notification: AlertNotification): Promise<DeliveryResult> {
    const { clock, signal } = this.options;
    const state = new RecoveryState(0);
    const step = { retry: this.options.retry ?? CHANNEL_RETRY };
    for (let attempt = 1; ; attempt++) {
      try {
        await channel.send(notification, signal);
        this.logger.info(`alert ${notification.status} ${notification.rule} sent to ${channel.name}`, {
          attempt,
        });
        return { channel: channel.name, ok: true, attempts: attempt };
      } catch (e) {
        const info = toErrorInfo(e);
        const message = this.mask(info.message);
        const decision = decide(
          info,
          step,
          this.patterns,
          state,
          this.options.random ?? mathRandom,
          clock.now(),
        );
        if (decision.kind !== "retry" || signal?.aborted) {
          this.logger.error(
            `alert ${notification.rule}: channel ${channel.name} failed after ${attempt} attempt(s): ${message}`,
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
          return { channel: channel.name, ok: false, attempts: attempt, error: message };
        }
      }
    }
  }

  private mask(text: string): string {
    return maskText(text, this.masker);
  }
}
