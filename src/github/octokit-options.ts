/**
 * The options every stageflow Octokit is built with, whichever host builds it (Probot's
 * `ProbotOctokit.defaults(...)` in the app, `new Octokit(...)` in the Action and the tests).
 *
 * One retry owner: the engine's policies retry failed calls, so Octokit's retry plugin is off.
 * Throttling stays on: rate limits are waited out (`retry-after`) a few times per request, then
 * the request throws and the caller treats it as rate-limited ({@link isRateLimited}).
 */
import type { ThrottlingOptions } from "@octokit/plugin-throttling";

/** A rate limit that the throttling plugin hit, reported before it waits or gives up. */
export interface RateLimitEvent {
  kind: "primary" | "secondary";
  retryAfterSeconds: number;
  method: string;
  url: string;
  /** How many times this request has already waited. */
  waits: number;
  /** True when the request will wait and try again; false when it gives up and throws. */
  willWait: boolean;
}

/** Options of {@link octokitDefaults}. */
export interface OctokitDefaultsOptions {
  log?: { warn(message: string): void };
  /** How many times one request waits out a rate limit before it throws (default 3). */
  maxRateLimitWaits?: number;
  /** Told of every rate limit hit (for metrics and the run's report). */
  onLimit?: (event: RateLimitEvent) => void;
  /**
   * Extra settings of plugin-throttling, for hosts and tests: `retryAfterBaseValue` (ms per
   * second of `retry-after`, default 1000), `write`/`notifications` Bottleneck groups (the plugin
   * spaces writes a second apart per installation), `id`.
   */
  throttle?: Partial<
    Pick<
      Extract<ThrottlingOptions, { onRateLimit: unknown }>,
      "retryAfterBaseValue" | "write" | "notifications" | "search" | "id" | "fallbackSecondaryRateRetryAfter"
    >
  >;
}

type Handler = (
  retryAfter: number,
  options: { method: string; url: string },
  octokit: unknown,
  retryCount: number,
) => boolean;

/** The constructor options: `{ retry: { enabled: false }, throttle: { ... } }`. */
export interface StageflowOctokitOptions {
  retry: { enabled: false };
  throttle: {
    enabled: true;
    onRateLimit: Handler;
    onSecondaryRateLimit: Handler;
  } & NonNullable<OctokitDefaultsOptions["throttle"]>;
}

/** Builds the options object for `ProbotOctokit.defaults(...)` or `new Octokit(...)`. */
export function octokitDefaults(options: OctokitDefaultsOptions = {}): StageflowOctokitOptions {
  const maxWaits = options.maxRateLimitWaits ?? 3;
  const handler =
    (kind: RateLimitEvent["kind"]): Handler =>
    (retryAfter, request, _octokit, retryCount) => {
      const waits = Number.isFinite(retryCount) ? retryCount : 0;
      const willWait = waits < maxWaits;
      const event = { kind, retryAfterSeconds: retryAfter, method: request.method, url: request.url };
      options.log?.warn(
        `${kind === "primary" ? "Rate limit" : "Secondary rate limit"} hit by ${event.method} ${event.url}: ` +
          (willWait
            ? `waiting ${retryAfter} s (wait ${waits + 1} of ${maxWaits})`
            : `giving up after ${waits} waits`),
      );
      options.onLimit?.({ ...event, waits, willWait });
      return willWait;
    };
  return {
    retry: { enabled: false },
    throttle: {
      ...options.throttle,
      enabled: true,
      onRateLimit: handler("primary"),
      onSecondaryRateLimit: handler("secondary"),
    },
  };
}

/**
 * The same options as a function for `ProbotOctokit.defaults(fn)`: Probot passes its own
 * throttle handlers (which do not wait out secondary limits) as instance options, and an object
 * given to `.defaults` would lose to them; this merge keeps stageflow's handlers and the
 * installation's throttle `id` that Probot sets.
 */
export function withOctokitDefaults(
  options: OctokitDefaultsOptions = {},
): <T extends { throttle?: object }>(instanceOptions: T) => T & StageflowOctokitOptions {
  const defaults = octokitDefaults(options);
  return (instanceOptions) => ({
    ...instanceOptions,
    retry: defaults.retry,
    throttle: { ...instanceOptions.throttle, ...defaults.throttle },
  });
}
