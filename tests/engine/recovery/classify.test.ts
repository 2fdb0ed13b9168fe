import { describe, expect, it } from "vitest";
import type { ErrorInfo } from "../../../src/engine/errors.js";
import { TimeoutError, toErrorInfo } from "../../../src/engine/errors.js";
import {
  classify,
  compilePatterns,
  errorText,
  guessType,
  type RecoveryPattern,
} from "../../../src/engine/recovery/index.js";

function pattern(id: string, match: string, over: Partial<RecoveryPattern> = {}): RecoveryPattern {
  return { id, match, type: "unknown", strategy: "fail", priority: 100, source: "workflow", ...over };
}

const http503: ErrorInfo = {
  name: "HttpError",
  message: "POST https://x.example.com/build answered 503 Service Unavailable",
  code: "http_503",
  status: 503,
  headers: { "content-type": "text/plain" },
};

describe("errorText", () => {
  it("joins name, message, code and status", () => {
    expect(errorText(http503)).toBe(
      "HttpError: POST https://x.example.com/build answered 503 Service Unavailable code=http_503 status=503",
    );
  });

  it("adds the engine's reason and an exhausted rate limit", () => {
    expect(errorText(toErrorInfo(new TimeoutError("step timed out after 5s", 5000)))).toBe(
      "TimeoutError: step timed out after 5s reason=timed_out",
    );
    const info: ErrorInfo = { name: "HttpError", message: "x", headers: { "x-ratelimit-remaining": "0" } };
    expect(errorText(info)).toBe("HttpError: x ratelimit-remaining=0");
    expect(errorText({ ...info, headers: { "x-ratelimit-remaining": "12" } })).toBe("HttpError: x");
  });

  it("shows only the name when there is no message", () => {
    expect(errorText({ name: "AbortError", message: "" })).toBe("AbortError");
  });
});

describe("compilePatterns", () => {
  it("orders by priority, highest first, ties in the order given", () => {
    const compiled = compilePatterns([
      pattern("a", "x", { priority: 10 }),
      pattern("b", "x", { priority: 50 }),
      pattern("c", "x", { priority: 10 }),
      pattern("d", "x", { priority: 50 }),
      pattern("e", "x", { priority: -1 }),
    ]);
    expect(compiled.map((c) => c.pattern.id)).toEqual(["b", "d", "a", "c", "e"]);
    expect(compiled.map((c) => c.index)).toEqual([1, 3, 0, 2, 4]);
  });

  it("compiles case-insensitively", () => {
    const [c] = compilePatterns([pattern("a", "econnreset")]);
    expect(c?.regex.source).toBe("econnreset");
    expect(c?.regex.test("code=ECONNRESET")).toBe(true);
  });

  it("throws a TypeError naming the pattern with a bad regular expression", () => {
    expect(() => compilePatterns([pattern("ok", "x"), pattern("broken", "(unclosed")])).toThrow(TypeError);
    expect(() => compilePatterns([pattern("broken", "(unclosed")])).toThrow(/'broken'.*"\(unclosed"/);
  });
});

describe("classify", () => {
  it("takes the first match by priority, not by position", () => {
    const patterns = compilePatterns([
      pattern("generic", "503", { type: "network", priority: 10 }),
      pattern("specific", "answered 503", { type: "ai_service", priority: 90 }),
    ]);
    const result = classify(http503, patterns);
    expect(result.pattern?.id).toBe("specific");
    expect(result.type).toBe("ai_service");
    expect(result.text).toBe(errorText(http503));
  });

  it("breaks priority ties by order", () => {
    const first = pattern("first", "Service Unavailable", { type: "network" });
    const second = pattern("second", "status=503", { type: "resource" });
    expect(classify(http503, compilePatterns([first, second])).pattern?.id).toBe("first");
    expect(classify(http503, compilePatterns([second, first])).pattern?.id).toBe("second");
  });

  it("matches over code and status, not only the message", () => {
    const patterns = compilePatterns([pattern("by_code", "code=http_50\\d")]);
    expect(classify(http503, patterns).pattern?.id).toBe("by_code");
  });

  it("guesses the type when nothing matches", () => {
    const result = classify(http503, compilePatterns([pattern("other", "nope")]));
    expect(result).toEqual({ pattern: null, type: "network", text: errorText(http503) });
  });
});

describe("guessType", () => {
  const cases: Array<[ErrorInfo, string]> = [
    [{ name: "Error", message: "read ECONNRESET", code: "ECONNRESET" }, "network"],
    [{ name: "TypeError", message: "fetch failed", code: "UND_ERR_SOCKET" }, "network"],
    [{ name: "HttpRequestError", message: "request failed" }, "network"],
    [{ name: "CircuitOpenError", message: "circuit for 'x' is open", reason: "circuit_open" }, "network"],
    [{ name: "Error", message: "getaddrinfo ENOTFOUND x", code: "ENOTFOUND" }, "network"],
    [{ name: "HttpError", message: "429", status: 429 }, "rate_limit"],
    [
      { name: "HttpError", message: "x", status: 403, headers: { "x-ratelimit-remaining": "0" } },
      "rate_limit",
    ],
    [{ name: "TimeoutError", message: "took too long", reason: "timed_out" }, "timeout"],
    [{ name: "Error", message: "operation timed out" }, "timeout"],
    [{ name: "HttpError", message: "overloaded", status: 529 }, "ai_service"],
    [{ name: "HttpError", message: "bad gateway", status: 502 }, "network"],
    [{ name: "Error", message: "no space left", code: "ENOSPC" }, "resource"],
    [{ name: "RunStepError", message: "command not found", code: "exit_127" }, "configuration"],
    [{ name: "HttpError", message: "Bad credentials", status: 401 }, "configuration"],
    [{ name: "HttpError", message: "Validation Failed", status: 422 }, "validation"],
    [{ name: "RunStepError", message: "exit 1", code: "exit_1" }, "unknown"],
  ];
  it.each(cases)("%j → %s", (info, type) => {
    expect(guessType(info)).toBe(type);
  });
});

describe("matching in linear time (RE2)", () => {
  it("matches (a+)+$ against a 100k-character message: the answer, not a hang", () => {
    // With a backtracking engine this pattern takes exponential time on 'aaaa…a!'.
    const info: ErrorInfo = { name: "Error", message: `${"a".repeat(100_000)}!` };
    const patterns = compilePatterns([pattern("redos", "(a+)+$"), pattern("bang", "a!")]);
    expect(classify(info, patterns).pattern?.id).toBe("bang");
    expect(classify({ name: "Error", message: "a".repeat(100_000) }, patterns).pattern?.id).toBe("redos");
  });

  it("guesses the type of a long message without a quadratic search", () => {
    // `\b(model|llm)\b.*\b(unavailable|overloaded)\b` backtracked once per 'model' over the rest.
    const info: ErrorInfo = { name: "Error", message: "model ".repeat(200_000) };
    expect(guessType(info)).toBe("unknown");
    expect(guessType({ name: "Error", message: "the model is overloaded" })).toBe("ai_service");
  });

  it("searches the head and the tail of a very long message", () => {
    const info: ErrorInfo = { name: "Error", message: `start ${"x".repeat(100_000)} end`, code: "E1" };
    const text = errorText(info);
    expect(text.length).toBeLessThan(17_000);
    expect(text).toMatch(/^Error: start x+ … x+ end code=E1$/);
    const patterns = compilePatterns([pattern("tail", "end code=E1")]);
    expect(classify(info, patterns).pattern?.id).toBe("tail");
  });

  it("refuses lookaround and backreferences, which RE2 cannot match in linear time", () => {
    expect(() => compilePatterns([pattern("behind", "(?<=x)y")])).toThrow(/lookahead and lookbehind/);
    expect(() => compilePatterns([pattern("ref", "(a)\\1")])).toThrow(/backreferences/);
  });
});
