import { describe, expect, it } from "vitest";
import type { ErrorInfo } from "../../../src/engine/errors.js";
import { retryAfterMs } from "../../../src/engine/recovery/index.js";

const now = Date.UTC(2026, 0, 1, 12, 0, 0);

function withHeaders(headers: Record<string, string> | undefined): ErrorInfo {
  return { name: "HttpError", message: "answered 429", status: 429, headers };
}

describe("retryAfterMs", () => {
  it("reads retry-after in seconds", () => {
    expect(retryAfterMs(withHeaders({ "retry-after": "7" }), now)).toBe(7000);
    expect(retryAfterMs(withHeaders({ "retry-after": " 120 " }), now)).toBe(120_000);
    expect(retryAfterMs(withHeaders({ "retry-after": "0" }), now)).toBe(0);
    expect(retryAfterMs(withHeaders({ "retry-after": "1.5" }), now)).toBe(1500);
  });

  it("reads retry-after as an HTTP date, clamped at 0 when past", () => {
    expect(retryAfterMs(withHeaders({ "retry-after": "Thu, 01 Jan 2026 12:00:30 GMT" }), now)).toBe(30_000);
    expect(retryAfterMs(withHeaders({ "retry-after": "Thu, 01 Jan 2026 11:59:00 GMT" }), now)).toBe(0);
  });

  it("ignores retry-after it cannot read", () => {
    expect(retryAfterMs(withHeaders({ "retry-after": "soon" }), now)).toBeUndefined();
    expect(retryAfterMs(withHeaders({ "retry-after": "-5" }), now)).toBeUndefined();
    expect(retryAfterMs(withHeaders({}), now)).toBeUndefined();
    expect(retryAfterMs(withHeaders(undefined), now)).toBeUndefined();
  });

  it("waits for x-ratelimit-reset (epoch seconds) only when nothing remains", () => {
    const reset = String(now / 1000 + 90);
    expect(retryAfterMs(withHeaders({ "x-ratelimit-remaining": "0", "x-ratelimit-reset": reset }), now)).toBe(
      90_000,
    );
    expect(
      retryAfterMs(withHeaders({ "x-ratelimit-remaining": "17", "x-ratelimit-reset": reset }), now),
    ).toBeUndefined();
    expect(
      retryAfterMs(
        withHeaders({ "x-ratelimit-remaining": "0", "x-ratelimit-reset": String(now / 1000 - 5) }),
        now,
      ),
    ).toBe(0);
  });

  it("reads a small reset as a delay in seconds (IETF ratelimit-reset)", () => {
    expect(retryAfterMs(withHeaders({ "ratelimit-remaining": "0", "ratelimit-reset": "42" }), now)).toBe(
      42_000,
    );
  });

  it("takes the longest wait when several headers say so", () => {
    const headers = {
      "retry-after": "60",
      "x-ratelimit-remaining": "0",
      "x-ratelimit-reset": String(now / 1000 + 600),
    };
    expect(retryAfterMs(withHeaders(headers), now)).toBe(600_000);
    expect(retryAfterMs(withHeaders({ ...headers, "retry-after": "900" }), now)).toBe(900_000);
  });

  it("rounds a partial millisecond up", () => {
    expect(
      retryAfterMs(
        withHeaders({ "x-ratelimit-remaining": "0", "x-ratelimit-reset": "1767268800" }),
        now - 0.5,
      ),
    ).toBe(1);
  });
});
