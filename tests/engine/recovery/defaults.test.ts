import { describe, expect, it } from "vitest";
import { type ErrorInfo, TimeoutError, toErrorInfo } from "../../../src/engine/errors.js";
import {
  classify,
  compilePatterns,
  DEFAULT_PATTERNS,
  DEFAULT_WORKFLOW_PRIORITY,
  mergePatterns,
  type RecoveryPattern,
  retryAfterMs,
} from "../../../src/engine/recovery/index.js";
import { HttpError, HttpRequestError } from "../../../src/steps/errors.js";

const defaults = compilePatterns(DEFAULT_PATTERNS);
const now = Date.UTC(2026, 0, 1, 12, 0, 0);
const nowEpochSeconds = now / 1000;

function decide(error: unknown) {
  const info = toErrorInfo(error);
  const { pattern, type } = classify(info, defaults);
  return { id: pattern?.id ?? null, type, strategy: pattern?.strategy, pattern, info };
}

function nodeError(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

/** A GitHub answer as Octokit's RequestError carries it: name HttpError, status, headers. */
function githubError(status: number, message: string, headers: Record<string, string>): Error {
  return Object.assign(new Error(message), { name: "HttpError", status, headers });
}

describe("the default patterns", () => {
  it("are built-in, valid, with priorities 10–50 below a workflow pattern's default", () => {
    expect(DEFAULT_PATTERNS.map((p) => p.id)).toEqual([
      "github_secondary_rate_limit",
      "github_primary_rate_limit",
      "http_429",
      "network",
      "http_5xx",
      "timeout",
    ]);
    for (const p of DEFAULT_PATTERNS) {
      expect(p.source).toBe("default");
      expect(p.priority).toBeGreaterThanOrEqual(10);
      expect(p.priority).toBeLessThanOrEqual(50);
      expect(p.priority).toBeLessThan(DEFAULT_WORKFLOW_PRIORITY);
      expect(p.strategy).toBe("retry");
    }
    expect(Object.isFrozen(DEFAULT_PATTERNS)).toBe(true);
  });

  it.each([
    ["ECONNRESET", "read ECONNRESET"],
    ["ECONNREFUSED", "connect ECONNREFUSED 127.0.0.1:443"],
    ["ETIMEDOUT", "connect ETIMEDOUT 140.82.112.6:443"],
    ["EAI_AGAIN", "getaddrinfo EAI_AGAIN api.github.com"],
    ["EPIPE", "write EPIPE"],
  ])("retry a Node network error with code %s", (code, message) => {
    const d = decide(nodeError(message, code));
    expect(d).toMatchObject({ id: "network", type: "network", strategy: "retry" });
    expect(d.pattern).toMatchObject({ maxAttempts: 5, baseDelayMs: 1000, maxDelayMs: 30_000 });
  });

  it("retries 'socket hang up' (code ECONNRESET) and an undici fetch failure", () => {
    expect(decide(nodeError("socket hang up", "ECONNRESET")).id).toBe("network");
    const fetchFailed = Object.assign(new TypeError("fetch failed"), { code: "UND_ERR_SOCKET" });
    expect(decide(fetchFailed)).toMatchObject({ id: "network", type: "network" });
    const connectTimeout = Object.assign(new TypeError("fetch failed"), { code: "UND_ERR_CONNECT_TIMEOUT" });
    expect(decide(connectTimeout).id).toBe("network");
    const stepLayer = new HttpRequestError(
      "request failed with ECONNREFUSED: GET https://x (connect ECONNREFUSED 10.0.0.1:443)",
      "ECONNREFUSED",
    );
    expect(decide(stepLayer).id).toBe("network");
  });

  it("leaves ENOTFOUND (usually a wrong host name) to the step's own retry policy", () => {
    expect(decide(nodeError("getaddrinfo ENOTFOUND api.githb.com", "ENOTFOUND"))).toMatchObject({
      id: null,
      type: "network",
    });
  });

  it("retries HTTP 429 with Retry-After honoured", () => {
    const e = new HttpError("GET https://api.example.com/x answered 429 Too Many Requests", 429, {
      "retry-after": "7",
    });
    const d = decide(e);
    expect(d).toMatchObject({ id: "http_429", type: "rate_limit", strategy: "retry" });
    expect(d.pattern).toMatchObject({ maxAttempts: 6, baseDelayMs: 5000, maxDelayMs: 300_000 });
    expect(retryAfterMs(d.info, now)).toBe(7000);
  });

  it.each([500, 502, 503, 504])("retries HTTP %i as a network error", (status) => {
    const d = decide(new HttpError(`POST https://x answered ${status}`, status, {}));
    expect(d).toMatchObject({ id: "http_5xx", type: "network", strategy: "retry" });
    expect(d.pattern).toMatchObject({ maxAttempts: 4, baseDelayMs: 2000 });
  });

  it("does not retry other 5xx or 4xx answers by default", () => {
    expect(decide(new HttpError("answered 501 Not Implemented", 501, {})).id).toBeNull();
    expect(decide(new HttpError("answered 404 Not Found", 404, {})).id).toBeNull();
  });

  it("recognises GitHub's primary rate limit (403, x-ratelimit-remaining: 0) and waits for the reset", () => {
    const e = githubError(
      403,
      "API rate limit exceeded for installation ID 4242. - https://docs.github.com/rest/overview/resources-in-the-rest-api#rate-limiting",
      {
        "x-ratelimit-limit": "5000",
        "x-ratelimit-remaining": "0",
        "x-ratelimit-reset": String(nowEpochSeconds + 1234),
        "x-ratelimit-used": "5000",
        "x-ratelimit-resource": "core",
      },
    );
    const d = decide(e);
    expect(d).toMatchObject({ id: "github_primary_rate_limit", type: "rate_limit", strategy: "retry" });
    expect(retryAfterMs(d.info, now)).toBe(1_234_000);
  });

  it("recognises GitHub's secondary rate limit message, with remaining requests left", () => {
    const message =
      "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. " +
      "If you reach out to GitHub Support for help, please include the request ID 0481:2C1A:1B7E5C:3A5F4D:6650A1B2.";
    const headers = {
      "x-ratelimit-limit": "5000",
      "x-ratelimit-remaining": "4987",
      "x-ratelimit-reset": String(nowEpochSeconds + 3000),
      "x-ratelimit-used": "13",
      "x-ratelimit-resource": "core",
    };
    for (const status of [403, 429]) {
      const d = decide(githubError(status, message, headers));
      expect(d).toMatchObject({ id: "github_secondary_rate_limit", type: "rate_limit", strategy: "retry" });
      expect(d.pattern?.baseDelayMs).toBe(60_000);
      // Requests remain: the reset is not the wait; the pattern's one-minute base delay is.
      expect(retryAfterMs(d.info, now)).toBeUndefined();
    }
    const withRetryAfter = decide(githubError(403, message, { ...headers, "retry-after": "60" }));
    expect(retryAfterMs(withRetryAfter.info, now)).toBe(60_000);
  });

  it("retries timeouts", () => {
    expect(decide(new TimeoutError("step 'build' timed out after 5m", 300_000))).toMatchObject({
      id: "timeout",
      type: "timeout",
      strategy: "retry",
    });
    expect(decide(new HttpError("answered 408 Request Timeout", 408, {})).id).toBe("timeout");
  });

  it("lets plain failures through", () => {
    const info: ErrorInfo = {
      name: "RunStepError",
      message: "command failed with exit code 1",
      code: "exit_1",
    };
    expect(classify(info, defaults).pattern).toBeNull();
  });
});

describe("mergePatterns", () => {
  const mine = (over: Partial<RecoveryPattern>): RecoveryPattern => ({
    id: "mine",
    match: "503|ECONNRESET",
    type: "network",
    strategy: "alternative",
    priority: DEFAULT_WORKFLOW_PRIORITY,
    source: "workflow",
    ...over,
  });

  it("puts the workflow's patterns first, so they win over the defaults", () => {
    const merged = mergePatterns([mine({})]);
    expect(merged.map((p) => p.id)).toEqual(["mine", ...DEFAULT_PATTERNS.map((p) => p.id)]);
    const info = toErrorInfo(new HttpError("answered 503", 503, {}));
    expect(classify(info, compilePatterns(merged)).pattern?.id).toBe("mine");
  });

  it("lets a default win over a workflow pattern given a lower priority", () => {
    const merged = compilePatterns(mergePatterns([mine({ priority: 5 })]));
    const info = toErrorInfo(new HttpError("answered 503", 503, {}));
    expect(classify(info, merged).pattern?.id).toBe("http_5xx");
  });

  it("lets a workflow pattern replace a default by id, and takes other defaults", () => {
    const merged = mergePatterns([mine({ id: "http_5xx", strategy: "escalate" })]);
    expect(merged.filter((p) => p.id === "http_5xx")).toHaveLength(1);
    expect(merged[0]?.strategy).toBe("escalate");
    expect(mergePatterns([mine({})], [])).toHaveLength(1);
  });
});
