/**
 * Health: a registry of checks, each critical or not and each with a timeout, and the overall
 * status they add up to (HEALTHY, WARNING, DEGRADED, CRITICAL, FAILED; the rule is
 * `overallStatus`, documented in docs/operations.md). A check that throws, or that has not
 * answered when its timeout passes on the injected clock, FAILS with a message naming what it
 * checked. Every evaluation is remembered (bounded), so availability can be computed from them.
 * The rule and the checks are documented in docs/operations.md (Health).
 */
import { type Clock, formatDuration, startTimer, systemClock } from "../engine/index.js";

export const HEALTH_STATUSES = ["HEALTHY", "WARNING", "DEGRADED", "CRITICAL", "FAILED"] as const;
export type HealthStatus = (typeof HEALTH_STATUSES)[number];

/** A check's own verdict: fine, worth a look, or failing. */
export type CheckState = "pass" | "warn" | "fail";

/** What a check's function returns. */
export interface CheckOutcome {
  state: CheckState;
  /** One line saying what was found, e.g. "wrote and removed a file in /var/lib/stageflow". */
  message: string;
  /** The measured value, when there is one (bytes free, ms of lag, a rate...). */
  value?: number | string | boolean | null;
  /** What to do about it, in words; overrides the check's own recommendation. */
  recommendation?: string;
}

export interface HealthCheck {
  /** What it checks, in words: "journal writable", "disk space", ... Unique in a registry. */
  name: string;
  /** A failing critical check makes the host not ready (503 on /health/ready). */
  critical: boolean;
  /** After this long the check FAILS as timed out. @default the registry's defaultTimeoutMs */
  timeoutMs?: number;
  /** What to do when it warns or fails, in words. */
  recommendation?: string;
  /** Runs the check; `signal` aborts when its timeout passed. */
  run(signal: AbortSignal): CheckOutcome | Promise<CheckOutcome>;
}

/** One check's result in a report. */
export interface CheckResult {
  name: string;
  critical: boolean;
  state: CheckState;
  message: string;
  value: number | string | boolean | null;
  durationMs: number;
  /** Set when the check warns or fails. */
  recommendation: string | null;
}

export interface HealthReport {
  status: HealthStatus;
  /** False while a critical check fails. */
  ready: boolean;
  /** Epoch ms (the registry's clock) and the same as ISO text. */
  at: number;
  checkedAt: string;
  checks: CheckResult[];
  /** In words: the overall verdict first, then one line per check that warns or fails. */
  recommendations: string[];
}

/**
 * One remembered evaluation (for availability: the share of evaluations that were ready). The
 * status of a critical-only evaluation (/health/ready) reflects only the critical checks.
 */
export interface HealthSample {
  at: number;
  status: HealthStatus;
  ready: boolean;
}

export interface HealthRegistryOptions {
  /** Times the checks and stamps the reports. @default systemClock */
  clock?: Clock;
  /** Timeout of a check that sets none. @default 5000 */
  defaultTimeoutMs?: number;
  /** Evaluations remembered for availability (oldest dropped first). @default 10000 */
  historySize?: number;
}

/**
 * The overall status of a set of results:
 * - FAILED: at least one check is critical and every critical check fails;
 * - CRITICAL: some (not all) critical checks fail;
 * - DEGRADED: no critical check fails, but a non-critical one does;
 * - WARNING: nothing fails, but a check warns;
 * - HEALTHY: every check passes (or there is none).
 */
export function overallStatus(results: readonly Pick<CheckResult, "critical" | "state">[]): HealthStatus {
  const critical = results.filter((r) => r.critical);
  const criticalFailing = critical.filter((r) => r.state === "fail").length;
  if (critical.length > 0 && criticalFailing === critical.length) return "FAILED";
  if (criticalFailing > 0) return "CRITICAL";
  if (results.some((r) => r.state === "fail")) return "DEGRADED";
  if (results.some((r) => r.state === "warn")) return "WARNING";
  return "HEALTHY";
}

/** The overall verdict in words. */
export function statusSentence(status: HealthStatus, failing: readonly string[]): string {
  const names = failing.join(", ");
  switch (status) {
    case "HEALTHY":
      return "Every check passes: nothing to do.";
    case "WARNING":
      return "Nothing fails, but some checks warn: look at them before they fail.";
    case "DEGRADED":
      return `Non-critical checks fail (${names}): stageflow still runs workflows, fix them soon.`;
    case "CRITICAL":
      return `Critical checks fail (${names}): this host is not ready; fix them first.`;
    case "FAILED":
      return `Every critical check fails (${names}): this host cannot run workflows; fix them now.`;
  }
}

/** Whether a host in this status takes work (/health/ready). */
export const isReady = (status: HealthStatus): boolean => status !== "CRITICAL" && status !== "FAILED";

export class HealthRegistry {
  private readonly list: HealthCheck[] = [];
  private readonly samples: HealthSample[] = [];
  readonly clock: Clock;
  private readonly defaultTimeoutMs: number;
  private readonly historySize: number;

  constructor(options: HealthRegistryOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.defaultTimeoutMs = positive(options.defaultTimeoutMs ?? 5000, "defaultTimeoutMs");
    this.historySize = positive(options.historySize ?? 10_000, "historySize");
  }

  /** Adds a check; returns its remover. Throws TypeError for a duplicate name or a bad timeout. */
  register(check: HealthCheck): () => void {
    if (typeof check.name !== "string" || check.name.trim() === "")
      throw new TypeError("health check: a non-empty name is required");
    if (this.list.some((c) => c.name === check.name))
      throw new TypeError(`health check '${check.name}' is already registered`);
    if (check.timeoutMs !== undefined) positive(check.timeoutMs, `health check '${check.name}' timeoutMs`);
    this.list.push(check);
    return () => {
      const i = this.list.indexOf(check);
      if (i >= 0) this.list.splice(i, 1);
    };
  }

  /** The registered checks, in registration order. */
  checks(): readonly HealthCheck[] {
    return [...this.list];
  }

  /**
   * Runs the checks at once (all of them, or only the critical ones: enough to tell `ready`) and
   * reports. Remembers each evaluation (its time, status and readiness) for availability.
   */
  async evaluate(options: { criticalOnly?: boolean } = {}): Promise<HealthReport> {
    const selected = options.criticalOnly ? this.list.filter((c) => c.critical) : this.list;
    const checks = await Promise.all(selected.map((c) => this.runOne(c)));
    const status = overallStatus(checks);
    const at = this.clock.now();
    const failing = checks.filter((c) => c.state === "fail").map((c) => c.name);
    const report: HealthReport = {
      status,
      ready: isReady(status),
      at,
      checkedAt: new Date(at).toISOString(),
      checks,
      recommendations: [
        statusSentence(status, failing),
        ...checks
          .filter((c) => c.recommendation !== null)
          .map((c) => `${c.name}: ${c.recommendation as string}`),
      ],
    };
    this.remember({ at, status, ready: report.ready });
    return report;
  }

  /** The evaluations remembered, oldest first; `since` keeps those at or after it. */
  history(since = Number.NEGATIVE_INFINITY): HealthSample[] {
    return this.samples.filter((s) => s.at >= since);
  }

  private remember(sample: HealthSample): void {
    this.samples.push(sample);
    if (this.samples.length > this.historySize)
      this.samples.splice(0, this.samples.length - this.historySize);
  }

  private async runOne(check: HealthCheck): Promise<CheckResult> {
    const timeoutMs = check.timeoutMs ?? this.defaultTimeoutMs;
    const started = this.clock.now();
    const controller = new AbortController();
    let cancel = () => {};
    const timedOut = new Promise<CheckOutcome>((resolve) => {
      cancel = startTimer(this.clock, timeoutMs, () => {
        controller.abort(new Error(`timed out after ${formatDuration(timeoutMs)}`));
        resolve({
          state: "fail",
          message: `${check.name}: no answer within its timeout of ${formatDuration(timeoutMs)}`,
        });
      });
    });
    let outcome: CheckOutcome;
    try {
      outcome = await Promise.race([Promise.resolve().then(() => check.run(controller.signal)), timedOut]);
    } catch (e) {
      outcome = { state: "fail", message: `${check.name}: ${e instanceof Error ? e.message : String(e)}` };
    } finally {
      cancel();
    }
    const state = outcome.state;
    const message =
      state === "fail" && !outcome.message.startsWith(check.name)
        ? `${check.name}: ${outcome.message}`
        : outcome.message;
    return {
      name: check.name,
      critical: check.critical,
      state,
      message,
      value: outcome.value ?? null,
      durationMs: Math.max(0, this.clock.now() - started),
      recommendation:
        state === "pass" ? null : (outcome.recommendation ?? check.recommendation ?? "look at this check"),
    };
  }
}

function positive(value: number, what: string): number {
  if (!Number.isFinite(value) || value <= 0)
    throw new TypeError(`${what}: expected a positive number, got ${String(value)}`);
  return value;
}
