/**
 * Classification: the text a failed attempt's error shows to `recovery:` patterns, the patterns
 * compiled and ordered (priority, then order), and the first match. With no match, a best guess
 * of the error type from its code and status, so events and statistics still say what failed.
 */
import { LIMITS } from "../definition/limits.js";
import type { ErrorInfo } from "../errors.js";
import { compileMatch, type Matcher } from "./match.js";
import type { ClassifiedError, ErrorType, RecoveryPattern } from "./types.js";

export interface CompiledPattern {
  readonly pattern: RecoveryPattern;
  /** `match`, compiled by RE2 (linear-time matching; see match.ts). */
  readonly regex: Matcher;
  /** Position in the list given to `compilePatterns` (breaks priority ties). */
  readonly index: number;
}

/**
 * What patterns match over: `<name>: <message> code=<code> status=<status>`, plus
 * `reason=<reason>` for engine errors and `ratelimit-remaining=0` when the response said so
 * (GitHub's primary rate limit). E.g.
 * `HttpError: POST https://x answered 503 Service Unavailable code=http_503 status=503`.
 * A message longer than LIMITS.errorTextLength keeps its head and its tail, joined by ` … `.
 */
export function errorText(info: ErrorInfo): string {
  const parts = [info.message ? `${info.name}: ${bounded(info.message)}` : info.name];
  if (info.code !== undefined) parts.push(`code=${info.code}`);
  if (info.status !== undefined) parts.push(`status=${info.status}`);
  if (info.reason !== undefined) parts.push(`reason=${info.reason}`);
  if (rateLimitExhausted(info)) parts.push("ratelimit-remaining=0");
  return parts.join(" ");
}

function bounded(message: string): string {
  const max = LIMITS.errorTextLength;
  if (message.length <= max) return message;
  return `${message.slice(0, max / 2)} … ${message.slice(-max / 2)}`;
}

/** The response said no requests are left (`x-ratelimit-remaining: 0`, or the IETF `ratelimit-remaining`). */
export function rateLimitExhausted(info: ErrorInfo): boolean {
  const h = info.headers;
  const remaining = h?.["x-ratelimit-remaining"] ?? h?.["ratelimit-remaining"];
  return remaining !== undefined && remaining.trim() === "0";
}

/**
 * Compiles `match` (RE2 syntax, case-insensitive) and orders the patterns: priority descending,
 * ties in the order given. A bad regular expression throws a TypeError naming the pattern.
 */
export function compilePatterns(patterns: readonly RecoveryPattern[]): CompiledPattern[] {
  const compiled = patterns.map((pattern, index) => {
    let regex: Matcher;
    try {
      regex = compileMatch(pattern.match);
    } catch (e) {
      const why = e instanceof Error ? e.message : String(e);
      throw new TypeError(
        `recovery pattern '${pattern.id}' has an invalid match ${JSON.stringify(pattern.match)}: ${why}`,
      );
    }
    return { pattern, regex, index };
  });
  return compiled.sort((a, b) => b.pattern.priority - a.pattern.priority || a.index - b.index);
}

/** The first pattern (in compiled order) whose `match` finds the error's text. */
export function classify(info: ErrorInfo, patterns: readonly CompiledPattern[]): ClassifiedError {
  const text = errorText(info);
  for (const { pattern, regex } of patterns) {
    if (regex.test(text)) return { pattern, type: pattern.type, text };
  }
  return { pattern: null, type: guessType(info), text };
}

const NETWORK_CODES = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "ECONNABORTED",
  "ETIMEDOUT",
  "EAI_AGAIN",
  "EPIPE",
  "ENOTFOUND",
  "ENETUNREACH",
  "ENETDOWN",
  "EHOSTUNREACH",
  "EHOSTDOWN",
]);
const RESOURCE_CODES = new Set(["ENOSPC", "ENOMEM", "EMFILE", "ENFILE", "EDQUOT"]);
const CONFIGURATION_CODES = new Set(["ENOENT", "EACCES", "EPERM", "exit_126", "exit_127"]);

/** Guesses from the message, matched by RE2 like the workflow's patterns (linear in the message). */
const TIMED_OUT = compileMatch("\\btimed? ?out\\b");
const RATE_LIMIT = compileMatch("rate limit");
const AI_UNAVAILABLE = compileMatch("\\b(model|llm)\\b.*\\b(unavailable|overloaded)\\b");

/** A best guess of the error type when no pattern matched; `unknown` when nothing fits. */
export function guessType(info: ErrorInfo): ErrorType {
  const code = info.code ?? "";
  const status = info.status;
  const message = `${info.name}: ${bounded(info.message)}`;
  if (info.reason === "timed_out" || info.reason === "stage_timed_out") return "timeout";
  if (info.name === "TimeoutError" || status === 408 || TIMED_OUT.test(message)) return "timeout";
  if (status === 429 || rateLimitExhausted(info) || RATE_LIMIT.test(message)) return "rate_limit";
  if (
    NETWORK_CODES.has(code) ||
    code.startsWith("UND_ERR_") ||
    info.name === "HttpRequestError" ||
    info.reason === "circuit_open"
  ) {
    return "network";
  }
  if (status === 529 || AI_UNAVAILABLE.test(message)) return "ai_service";
  if (status !== undefined && status >= 500) return "network";
  if (RESOURCE_CODES.has(code) || status === 413 || status === 507) return "resource";
  if (CONFIGURATION_CODES.has(code) || status === 401 || status === 403) return "configuration";
  if (info.reason === "invalid_input" || info.reason === "definition_invalid") return "configuration";
  if (status === 400 || status === 404 || status === 409 || status === 410 || status === 422) {
    return "validation";
  }
  return "unknown";
}
