/**
 * Alert rules: validation (a bad rule names its field) and the built-in rules, which carry the
 * thresholds of the deployment guide (docs/operations.md, "Alerts", has the table).
 */
import { type AlertRule, type Labels, SEVERITIES, type Severity } from "./types.js";

const MINUTE = 60_000;

/**
 * The built-in rules. Their metrics are derived values that the host's reader answers:
 * `error_recovery_success_rate` (successes / attempts over the window), `workflow_duration_p95_ms`
 * (p95 of run durations over the window), `template_cache_hit_rate` (hits / (hits + misses)) and
 * `process_memory_mb` (resident memory).
 */
export const DEFAULT_RULES: readonly AlertRule[] = Object.freeze([
  {
    name: "error_recovery_success_rate",
    metric: "error_recovery_success_rate",
    below: 0.85,
    severity: "critical",
    windowMs: 10 * MINUTE,
    description: "Error recovery success rate dropped below 85%",
  },
  {
    name: "workflow_p95_latency",
    metric: "workflow_duration_p95_ms",
    above: 5000,
    severity: "critical",
    windowMs: 5 * MINUTE,
    description: "Workflow p95 latency exceeded 5 seconds",
  },
  {
    name: "cache_hit_rate",
    metric: "template_cache_hit_rate",
    below: 0.9,
    severity: "high",
    windowMs: 15 * MINUTE,
    description: "Template cache hit rate dropped below 90%",
  },
  {
    name: "memory_usage",
    metric: "process_memory_mb",
    above: 512,
    severity: "medium",
    windowMs: 30 * MINUTE,
    description: "Memory usage exceeded 512MB",
  },
] satisfies AlertRule[]).map((rule) => Object.freeze(rule)) as readonly AlertRule[];

/** `above 5000` / `below 0.85` of a checked rule. */
export function conditionOf(rule: AlertRule): { op: "above" | "below"; threshold: number } {
  return rule.above !== undefined
    ? { op: "above", threshold: rule.above }
    : { op: "below", threshold: rule.below! };
}

/** True when `value` breaches the rule (NaN never does). */
export function breaches(rule: AlertRule, value: number): boolean {
  if (Number.isNaN(value)) return false;
  return rule.above !== undefined ? value > rule.above : value < rule.below!;
}

/**
 * Checks rules: names unique and non-empty, exactly one of above/below (finite), a known severity,
 * positive window, non-negative for. Throws a TypeError naming the rule and the field.
 */
export function checkRules(rules: readonly AlertRule[], where = "alerts.rules"): readonly AlertRule[] {
  const seen = new Set<string>();
  return rules.map((rule, i) => {
    const at = `${where}[${i}]${typeof rule?.name === "string" && rule.name ? ` (${rule.name})` : ""}`;
    const fail = (field: string, why: string): never => {
      throw new TypeError(`${at}.${field}: ${why}`);
    };
    if (typeof rule !== "object" || rule === null) throw new TypeError(`${at}: expected a rule object`);
    if (typeof rule.name !== "string" || !/^[A-Za-z_][A-Za-z0-9_:.-]*$/.test(rule.name))
      fail("name", `expected a name of letters, digits and _:.-, got ${JSON.stringify(rule.name)}`);
    if (seen.has(rule.name)) fail("name", `duplicate rule name '${rule.name}'`);
    seen.add(rule.name);
    if (typeof rule.metric !== "string" || rule.metric === "") fail("metric", "expected a metric name");
    const hasAbove = rule.above !== undefined;
    const hasBelow = rule.below !== undefined;
    if (hasAbove === hasBelow) fail(hasAbove ? "below" : "above", "set exactly one of 'above' and 'below'");
    const threshold = hasAbove ? rule.above : rule.below;
    if (typeof threshold !== "number" || !Number.isFinite(threshold))
      fail(hasAbove ? "above" : "below", `expected a finite number, got ${JSON.stringify(threshold)}`);
    if (!SEVERITIES.includes(rule.severity as Severity))
      fail("severity", `expected one of ${SEVERITIES.join(", ")}, got ${JSON.stringify(rule.severity)}`);
    if (!Number.isSafeInteger(rule.windowMs) || rule.windowMs <= 0)
      fail("windowMs", `expected a positive number of ms, got ${JSON.stringify(rule.windowMs)}`);
    if (rule.forMs !== undefined && (!Number.isSafeInteger(rule.forMs) || rule.forMs < 0))
      fail("forMs", `expected a non-negative number of ms, got ${JSON.stringify(rule.forMs)}`);
    if (typeof rule.description !== "string" || rule.description === "")
      fail("description", "expected a sentence saying what is wrong");
    checkLabels(rule.labels, `${at}.labels`);
    if (
      rule.groupBy !== undefined &&
      (!Array.isArray(rule.groupBy) || rule.groupBy.some((l) => typeof l !== "string"))
    )
      fail("groupBy", "expected a list of label names");
    return Object.freeze({ ...rule });
  });
}

function checkLabels(labels: Labels | undefined, at: string): void {
  if (labels === undefined) return;
  if (typeof labels !== "object" || labels === null || Array.isArray(labels))
    throw new TypeError(`${at}: expected a mapping of label names to values`);
  for (const [k, v] of Object.entries(labels))
    if (typeof v !== "string") throw new TypeError(`${at}.${k}: expected a string, got ${JSON.stringify(v)}`);
}

/** A stable key of a label set: `{a="1",b="2"}` with names sorted. */
export function labelKey(labels: Labels): string {
  const names = Object.keys(labels).sort();
  return `{${names.map((n) => `${n}=${JSON.stringify(labels[n])}`).join(",")}}`;
}
