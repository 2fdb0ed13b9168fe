/**
 * Reading Octokit's errors without depending on its classes: a `RequestError` carries `status`
 * and `response.headers`; a network failure (fetch threw) carries neither.
 */

interface ErrorLike {
  name?: unknown;
  status?: unknown;
  message?: unknown;
  response?: { headers?: Record<string, unknown>; data?: unknown };
}

/**
 * The HTTP status of a failed request, or undefined when no response came (network error).
 * Octokit reports a failed fetch as an `HttpError` with status 500 and no response: that is a
 * network error, not an answer.
 */
export function httpStatus(error: unknown): number | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const e = error as ErrorLike;
  if (e.name === "HttpError" && e.response === undefined) return undefined;
  const status = e.status;
  return typeof status === "number" && status > 0 ? status : undefined;
}

/**
 * True when a write may have applied although it failed: a 5xx answer or no answer at all.
 * Such a write is checked (list again) before it is repeated.
 */
export function mayHaveApplied(error: unknown): boolean {
  const status = httpStatus(error);
  return status === undefined || status >= 500;
}

function header(error: ErrorLike, name: string): string | undefined {
  const value = error.response?.headers?.[name];
  return value === undefined || value === null ? undefined : String(value);
}

/** The fallback wait for a secondary rate limit that names no `retry-after` (GitHub's advice). */
export const SECONDARY_RATE_LIMIT_FALLBACK_SECONDS = 60;

/**
 * Recognises a rate-limited answer: 403 or 429 with `retry-after`, with
 * `x-ratelimit-remaining: 0`, or whose message names a secondary rate limit. Returns how long to
 * wait, or undefined for any other error. `nowMs` is the caller's clock (for `x-ratelimit-reset`).
 */
export function isRateLimited(
  error: unknown,
  nowMs: number = Date.now(),
): { retryAfterMs: number } | undefined {
  const status = httpStatus(error);
  if (status !== 403 && status !== 429) return undefined;
  const e = error as ErrorLike;
  const retryAfter = header(e, "retry-after");
  if (retryAfter !== undefined && retryAfter.trim() !== "" && Number.isFinite(Number(retryAfter))) {
    return { retryAfterMs: Math.max(0, Number(retryAfter)) * 1000 };
  }
  if (header(e, "x-ratelimit-remaining") === "0") {
    const reset = Number(header(e, "x-ratelimit-reset"));
    const waitMs = Number.isFinite(reset) && reset > 0 ? reset * 1000 - nowMs + 1000 : 60_000;
    return { retryAfterMs: Math.max(0, waitMs) };
  }
  const message = typeof e.message === "string" ? e.message : "";
  if (/secondary rate limit|abuse detection/i.test(message) || status === 429) {
    return { retryAfterMs: SECONDARY_RATE_LIMIT_FALLBACK_SECONDS * 1000 };
  }
  return undefined;
}
