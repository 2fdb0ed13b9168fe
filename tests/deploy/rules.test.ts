/**
 * deploy/prometheus: promtool accepts the rules and the example configuration, the rules' own
 * unit tests (stageflow-rules.test.yml) pass, and each alert has the name, threshold, severity,
 * window and for-duration of the built-in rule of the same name (DEFAULT_RULES), so the two
 * cannot drift apart.
 */
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { DEFAULT_RULES } from "../../src/observe/alerts/index.js";
import type { AlertRule } from "../../src/observe/alerts/types.js";
import { findPromtool, inCI } from "../support/promtool.js";
import { durationMs, promqlUses } from "./promql.js";

const root = resolve(import.meta.dirname, "../..");
const RULES = "deploy/prometheus/stageflow-rules.yml";
const RULE_TESTS = "deploy/prometheus/stageflow-rules.test.yml";
const CONFIG = "deploy/prometheus/prometheus.yml";

interface PromRule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

function alerts(): PromRule[] {
  const doc = parse(readFileSync(join(root, RULES), "utf8")) as { groups: { rules: PromRule[] }[] };
  return doc.groups.flatMap((g) => g.rules).filter((r) => r.alert !== undefined);
}

/**
 * What each built-in rule's derived metric is in PromQL: the exported series it reads and a
 * piece of the expression that makes it that value. A built-in rule missing here has no
 * Prometheus equivalent yet: add one to the rules file and a line here.
 */
const DERIVED: Record<string, { series: string[]; contains: string }> = {
  error_recovery_success_rate: {
    series: ["error_recovery_success_total", "error_recovery_attempts_total"],
    contains: "/",
  },
  workflow_duration_p95_ms: { series: ["workflow_duration_ms_bucket"], contains: "histogram_quantile(0.95," },
  template_cache_hit_rate: {
    series: ["template_cache_hits_total", "template_cache_misses_total"],
    contains: "+",
  },
  process_memory_mb: { series: ["process_resident_memory_bytes"], contains: "/ 1024 / 1024" },
};

/** The condition of an alert expression ending in `< N` or `> N`. */
function conditionOf(expr: string): { op: "above" | "below"; threshold: number } {
  const m = /([<>])\s*(-?[0-9]+(?:\.[0-9]+)?)\s*$/.exec(expr.trim());
  if (!m) throw new Error(`expected the expression to end with '< N' or '> N': ${expr}`);
  return { op: m[1] === ">" ? "above" : "below", threshold: Number(m[2]) };
}

describe("deploy/prometheus/stageflow-rules.yml against the built-in rules (DEFAULT_RULES)", () => {
  it("has one alert per built-in rule and no other", () => {
    expect(
      alerts()
        .map((a) => a.alert)
        .sort(),
    ).toEqual(DEFAULT_RULES.map((r) => r.name).sort());
  });

  it.each(DEFAULT_RULES.map((r) => [r.name, r] as [string, AlertRule]))(
    "%s: same threshold, severity, window, for-duration and description",
    (name, rule) => {
      const alert = alerts().find((a) => a.alert === name);
      expect(alert, `no alert '${name}' in ${RULES}`).toBeDefined();
      const { expr } = alert!;
      expect(conditionOf(expr)).toEqual(
        rule.above !== undefined
          ? { op: "above", threshold: rule.above }
          : { op: "below", threshold: rule.below },
      );
      expect(alert!.labels?.severity).toBe(rule.severity);
      expect(durationMs(alert!.for ?? "0s")).toBe(rule.forMs ?? 0);
      const windows = [...expr.matchAll(/\[([^\]]+)\]/g)].map((m) => durationMs(m[1] as string));
      expect(windows.length).toBeGreaterThan(0);
      expect(new Set(windows)).toEqual(new Set([rule.windowMs]));
      expect(alert!.annotations?.summary).toBe(rule.description);
      const derived = DERIVED[rule.metric];
      expect(derived, `no PromQL equivalent of '${rule.metric}' in this test's table`).toBeDefined();
      expect(new Set(promqlUses(expr).selectors.map((s) => s.name))).toEqual(new Set(derived!.series));
      expect(expr.replace(/\s+/g, " ")).toContain(derived!.contains);
    },
  );

  it("reads the stageflow job's series only", () => {
    for (const alert of alerts())
      for (const s of promqlUses(alert.expr).selectors)
        expect(alert.expr, `${alert.alert}: ${s.name}`).toMatch(
          new RegExp(`${s.name}\\{[^}]*job="stageflow"`),
        );
  });
});

const promtool = findPromtool();

function run(args: string[]): { status: number | null; out: string } {
  const r = spawnSync(promtool.path!, args, { cwd: root, encoding: "utf8", timeout: 20_000 });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

describe.skipIf(!promtool.path && !inCI)(`promtool (${promtool.path ?? promtool.reason})`, () => {
  it("is present (CI must provide it: .ci/run runs scripts/promtool.mjs)", () => {
    expect(promtool.reason).toBeUndefined();
    expect(promtool.path).toBeTruthy();
  });

  it("check rules: accepts the rules", () => {
    const r = run(["check", "rules", RULES]);
    expect(r.out).toContain(`SUCCESS: ${alerts().length} rules found`);
    expect(r.status, r.out).toBe(0);
  });

  it("test rules: the rules fire past each threshold, not inside it, not without data", () => {
    const r = run(["test", "rules", RULE_TESTS]);
    expect(r.status, r.out).toBe(0);
    expect(r.out).toContain("SUCCESS");
  });

  it("check config: accepts the example configuration and the rule file it loads", () => {
    const r = run(["check", "config", CONFIG]);
    expect(r.status, r.out).toBe(0);
    expect(r.out).toContain("SUCCESS: 1 rule files found");
  });

  it("refuses a rule file with a broken expression, and the unit tests catch a moved threshold", () => {
    const dir = mkdtempSync(join(tmpdir(), "stageflow-rules-"));
    try {
      const text = readFileSync(join(root, RULES), "utf8");
      writeFileSync(join(dir, "broken.yml"), text.replace("< 0.85", "< < 0.85"));
      const broken = run(["check", "rules", join(dir, "broken.yml")]);
      expect(broken.status).not.toBe(0);
      expect(broken.out).toMatch(/parse error/i);

      writeFileSync(join(dir, "stageflow-rules.yml"), text.replace("< 0.85", "< 0.75"));
      copyFileSync(join(root, RULE_TESTS), join(dir, "tests.yml"));
      const moved = run(["test", "rules", join(dir, "tests.yml")]);
      expect(moved.status).not.toBe(0);
      expect(moved.out).toContain("alertname: error_recovery_success_rate");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
