/**
 * How long the server asked us to wait before retrying. Header shapes are the real ones:
 * `retry-after` in seconds or as an HTTP date (RFC 9110 §10.2.3), and GitHub's
 * `x-ratelimit-reset` (UTC epoch seconds), which counts only when `x-ratelimit-remaining` is `0`.
 * GitHub's advice for either rate limit: honour `retry-after` when present, else wait until
 * `x-ratelimit-reset` when nothing remains, else at least a minute (the pattern's base delay).
 */
import type { ErrorInfo } from "../errors.js";
import { rateLimitExhausted } from "./classify.js";

/** Reset values below this are delays in seconds (IETF `ratelimit-reset`), not epoch seconds. */
const EPOCH_SECONDS_FLOOR = 1_000_000_000;

/**
 * Milliseconds until the server allows another request, from the error's response headers; the
 * longest when several say so; never negative. `undefined` when no header says anything usable.
 */
export function retryAfterMs(info: ErrorInfo, now: number): number | undefined {
  const headers = info.headers;
  if (!headers) return undefined;
  const waits: number[] = [];
  const retryAfter = headers["retry-after"]?.trim();
  if (retryAfter) {
    if (/^\d+(\.\d+)?$/.test(retryAfter)) waits.push(Number(retryAfter) * 1000);
    else if (/[a-z]{3}/i.test(retryAfter)) {
      // An HTTP date names its month; Date.parse alone would read "-5" as the year -5.
      const at = Date.parse(retryAfter);
      if (Number.isFinite(at)) waits.push(at - now);
    }
  }
  if (rateLimitExhausted(info)) {
    const reset = (headers["x-ratelimit-reset"] ?? headers["ratelimit-reset"])?.trim();
    if (reset && /^\d+(\.\d+)?$/.test(reset)) {
      const value = Number(reset);
      waits.push(value >= EPOCH_SECONDS_FLOOR ? value * 1000 - now : value * 1000);
    }
  }
  if (waits.length === 0) return undefined;
  return Math.max(0, Math.ceil(Math.max(...waits)));
}
