/**
 * Built-in recovery patterns for the failures every workflow meets: flaky networks, rate limits
 * (HTTP 429 and GitHub's primary and secondary limits), 5xx answers and timeouts. They have
 * priorities 10–50; a workflow pattern without a priority gets 100, so the workflow's own patterns
 * win unless the user gives one a priority below a default's. A workflow pattern with the same
 * id as a default replaces it.
 */
import type { RecoveryPattern } from "./types.js";

/** The priority a workflow pattern gets when `priority:` is not written. */
export const DEFAULT_WORKFLOW_PRIORITY = 100;

const SECOND = 1000;
const MINUTE = 60 * SECOND;

/** Node and undici codes of a connection that broke or never came up, and transient DNS failures. */
const NETWORK_MATCH = [
  "\\b(ECONNRESET|ECONNREFUSED|ECONNABORTED|ETIMEDOUT|EAI_AGAIN|EPIPE|ENETUNREACH|EHOSTUNREACH)\\b",
  "\\bUND_ERR_(SOCKET|CLOSED|CONNECT_TIMEOUT|HEADERS_TIMEOUT|BODY_TIMEOUT)\\b",
  "socket hang up",
  "network error",
].join("|");

const BUILT_IN: RecoveryPattern[] = [
  {
    id: "github_secondary_rate_limit",
    match: "secondary rate limit|abuse detection",
    type: "rate_limit",
    strategy: "retry",
    priority: 50,
    maxAttempts: 5,
    baseDelayMs: MINUTE,
    maxDelayMs: 15 * MINUTE,
    source: "default",
  },
  {
    id: "github_primary_rate_limit",
    match: "ratelimit-remaining=0|API rate limit exceeded",
    type: "rate_limit",
    strategy: "retry",
    priority: 45,
    maxAttempts: 3,
    baseDelayMs: MINUTE,
    maxDelayMs: 60 * MINUTE,
    source: "default",
  },
  {
    id: "http_429",
    match: "status=429\\b|too many requests",
    type: "rate_limit",
    strategy: "retry",
    priority: 40,
    maxAttempts: 6,
    baseDelayMs: 5 * SECOND,
    maxDelayMs: 5 * MINUTE,
    source: "default",
  },
  {
    id: "network",
    match: NETWORK_MATCH,
    type: "network",
    strategy: "retry",
    priority: 30,
    maxAttempts: 5,
    baseDelayMs: SECOND,
    maxDelayMs: 30 * SECOND,
    source: "default",
  },
  {
    id: "http_5xx",
    match: "status=50[0234]\\b",
    type: "network",
    strategy: "retry",
    priority: 20,
    maxAttempts: 4,
    baseDelayMs: 2 * SECOND,
    maxDelayMs: 30 * SECOND,
    source: "default",
  },
  {
    id: "timeout",
    match: "\\bTimeoutError\\b|timed out|reason=timed_out|status=408\\b",
    type: "timeout",
    strategy: "retry",
    priority: 10,
    maxAttempts: 3,
    baseDelayMs: SECOND,
    maxDelayMs: 30 * SECOND,
    source: "default",
  },
];

/** The built-in patterns (frozen: copy before changing); see docs/recovery.md for the table. */
export const DEFAULT_PATTERNS: RecoveryPattern[] = Object.freeze(
  BUILT_IN.map((p) => Object.freeze(p)),
) as RecoveryPattern[];

/**
 * The patterns a run uses: the workflow's, then the defaults whose id the workflow does not
 * reuse. Workflow patterns come first, so they also win priority ties.
 */
export function mergePatterns(
  workflow: readonly RecoveryPattern[],
  defaults: readonly RecoveryPattern[] = DEFAULT_PATTERNS,
): RecoveryPattern[] {
  const ids = new Set(workflow.map((p) => p.id));
  return [...workflow, ...defaults.filter((p) => !ids.has(p.id))];
}
