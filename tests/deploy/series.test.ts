/**
 * deploy/: the Grafana dashboard and the Prometheus rules query only series that stageflow
 * exports (the names registered by createMetrics on a fresh registry, the default process
 * metrics included), match and group only on labels those series have, and the dashboard shows
 * every metric of stageflow's own.
 */
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { createMetrics } from "../../src/observe/metrics.js";
import { labelValuesQuery, promqlUses, type PromqlUse } from "./promql.js";

const root = resolve(import.meta.dirname, "../..");
const DASHBOARD = "deploy/grafana/stageflow-dashboard.json";
const RULES = "deploy/prometheus/stageflow-rules.yml";

/** Labels every scraped series has (added by Prometheus from the target). */
const TARGET_LABELS = ["job", "instance"];

interface Family {
  type: string;
  labels: string[];
}

/** The metric families a fresh host exports, by name. */
function exported(): Map<string, Family> {
  const { registry } = createMetrics();
  const out = new Map<string, Family>();
  for (const m of registry.getMetricsAsArray() as unknown as {
    name: string;
    type: string;
    labelNames?: string[];
  }[]) {
    if (!Array.isArray(m.labelNames)) throw new Error(`${m.name}: cannot read its label names`);
    out.set(m.name, { type: String(m.type), labels: [...m.labelNames] });
  }
  return out;
}

const families = exported();

/** The exported family a series name belongs to (histograms: `_bucket`, `_sum`, `_count`) and the labels the series has. */
function seriesOf(name: string): { family: string; labels: string[] } | undefined {
  const direct = families.get(name);
  if (direct) return { family: name, labels: [...direct.labels, ...TARGET_LABELS] };
  const m = /^(.*)_(bucket|sum|count)$/.exec(name);
  const base = m && families.get(m[1] as string);
  if (!m || !base || base.type !== "histogram") return undefined;
  return {
    family: m[1] as string,
    labels: [...base.labels, ...TARGET_LABELS, ...(m[2] === "bucket" ? ["le"] : [])],
  };
}

/** Problems of one expression: unknown series, labels a selector or a clause does not have. */
function problems(where: string, use: PromqlUse): string[] {
  const out: string[] = [];
  if (use.selectors.length === 0) out.push(`${where}: reads no series`);
  const known = use.selectors.map((s) => ({ s, series: seriesOf(s.name) }));
  for (const { s, series } of known) {
    if (!series) {
      out.push(`${where}: '${s.name}' is not a series stageflow exports`);
      continue;
    }
    for (const label of s.matchers)
      if (!series.labels.includes(label)) out.push(`${where}: ${s.name} has no label '${label}'`);
  }
  for (const label of use.groupings)
    for (const { s, series } of known)
      if (series && !series.labels.includes(label))
        out.push(`${where}: groups by '${label}', which ${s.name} does not have`);
  return out;
}

interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: { type: string; uid: string };
  targets?: { expr: string; refId: string; datasource?: { uid: string } }[];
  gridPos: { h: number; w: number; x: number; y: number };
}

interface Dashboard {
  __inputs: { name: string; type: string; pluginId: string }[];
  schemaVersion: number;
  uid: string;
  panels: Panel[];
  templating: { list: { name: string; query: { query: string } | string; datasource?: { uid: string } }[] };
}

const dashboard = JSON.parse(readFileSync(join(root, DASHBOARD), "utf8")) as Dashboard;
const queryPanels = dashboard.panels.filter((p) => p.type !== "row");

/** Every PromQL of the dashboard: panel targets and variable queries, named by where they are. */
function dashboardQueries(): { where: string; use: PromqlUse }[] {
  const out: { where: string; use: PromqlUse }[] = [];
  for (const p of queryPanels)
    for (const t of p.targets ?? [])
      out.push({ where: `panel '${p.title}' ${t.refId}`, use: promqlUses(t.expr) });
  for (const v of dashboard.templating.list) {
    const query = typeof v.query === "string" ? v.query : v.query.query;
    const { selector, label } = labelValuesQuery(query);
    const use = selector ? promqlUses(selector) : { selectors: [], groupings: [] };
    // The variable's label must be on the series it lists values of.
    out.push({ where: `variable '${v.name}'`, use: { ...use, groupings: [...use.groupings, label] } });
  }
  return out;
}

describe("the PromQL scanner (tests/deploy/promql.ts)", () => {
  it.each([
    ["rate(a_total[5m])", ["a_total"], [], []],
    [
      'sum by (le, kind) (rate(x_bucket{job=~"$job",kind!=""}[$__rate_interval]))',
      ["x_bucket"],
      ["le", "kind"],
      ["job", "kind"],
    ],
    ["histogram_quantile(0.95, sum(rate(h_bucket[5m])) by (le))", ["h_bucket"], ["le"], []],
    ["a / 1024 / 1e3 > 512", ["a"], [], []],
    ['x{l="a, b{c}"} and on(job) group_left(w) y offset 5m', ["x", "y"], ["job", "w"], ["l"]],
    ["max_over_time(ns:rec:rate5m[1h:5m]) unless bool z", ["ns:rec:rate5m", "z"], [], []],
    ["sum without (instance) (up) * ${factor}", ["up"], ["instance"], []],
  ])("%s", (expr, names, groupings, matchers) => {
    const use = promqlUses(expr);
    expect(use.selectors.map((s) => s.name)).toEqual(names);
    expect(use.groupings).toEqual(groupings);
    expect(use.selectors.flatMap((s) => s.matchers)).toEqual(matchers);
  });

  it("refuses a selector without a metric name, and unbalanced brackets", () => {
    expect(() => promqlUses('{__name__=~"a.*"}')).toThrow(/without a metric name/);
    expect(() => promqlUses("sum(rate(a[5m])")).toThrow(/unbalanced/);
  });

  it("reads Grafana's label_values queries", () => {
    expect(labelValuesQuery('label_values(x{job=~"$job"}, workflow)')).toEqual({
      selector: 'x{job=~"$job"}',
      label: "workflow",
    });
    expect(labelValuesQuery("label_values(job)")).toEqual({ label: "job" });
  });
});

describe("the exported series (a fresh createMetrics registry)", () => {
  it("has the deployment guide's names, stageflow's own and the default process metrics", () => {
    for (const name of [
      "workflow_duration_ms",
      "error_recovery_attempts_total",
      "error_recovery_success_total",
      "error_recovery_duration_ms",
      "workflow_speedup_factor",
      "template_cache_hits_total",
      "template_cache_misses_total",
      "stageflow_runs_finished_total",
      "process_resident_memory_bytes",
    ])
      expect(families.has(name), name).toBe(true);
    expect(families.has("template_cache_requests_total")).toBe(false);
    expect(seriesOf("workflow_duration_ms_bucket")?.labels).toContain("le");
    expect(seriesOf("template_cache_hits_total_count")).toBeUndefined();
  });
});

describe(`${DASHBOARD}`, () => {
  it("queries only exported series, on labels they have", () => {
    const queries = dashboardQueries();
    expect(queries.length).toBeGreaterThan(20);
    expect(queries.flatMap((q) => problems(q.where, q.use))).toEqual([]);
  });

  it("shows every metric of stageflow's own (all but the default process metrics)", () => {
    const shown = new Set(
      dashboardQueries().flatMap((q) => q.use.selectors.map((s) => seriesOf(s.name)?.family)),
    );
    const own = [...families.keys()].filter((n) => !/^(process|nodejs)_/.test(n));
    expect(own.filter((n) => !shown.has(n))).toEqual([]);
  });

  it("computes the cache hit rate from hits and misses", () => {
    const cache = queryPanels.find((p) => p.title === "Template cache hit rate");
    const expr = cache?.targets?.[0]?.expr ?? "";
    expect(new Set(promqlUses(expr).selectors.map((s) => s.name))).toEqual(
      new Set(["template_cache_hits_total", "template_cache_misses_total"]),
    );
  });

  it("is an importable Grafana dashboard on a ${DS_PROMETHEUS} input", () => {
    expect(dashboard.schemaVersion).toBe(39);
    expect(dashboard.uid).toBe("stageflow");
    expect(dashboard.__inputs).toEqual([
      expect.objectContaining({ name: "DS_PROMETHEUS", type: "datasource", pluginId: "prometheus" }),
    ]);
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of queryPanels) {
      expect(p.datasource?.uid, p.title).toBe("${DS_PROMETHEUS}");
      expect(p.targets?.length, p.title).toBeGreaterThan(0);
      for (const t of p.targets ?? [])
        expect(t.datasource?.uid ?? p.datasource?.uid, p.title).toBe("${DS_PROMETHEUS}");
    }
    for (const v of dashboard.templating.list) expect(v.datasource?.uid, v.name).toBe("${DS_PROMETHEUS}");
  });

  it("lays its panels out on the 24-column grid without overlaps", () => {
    const cells = new Map<string, string>();
    for (const p of dashboard.panels) {
      const { x, y, w, h } = p.gridPos;
      expect(x + w, p.title).toBeLessThanOrEqual(24);
      for (let i = x; i < x + w; i++)
        for (let j = y; j < y + h; j++) {
          const key = `${i},${j}`;
          expect(cells.get(key), `'${p.title}' overlaps '${cells.get(key)}'`).toBeUndefined();
          cells.set(key, p.title);
        }
    }
  });
});

describe(`${RULES}`, () => {
  it("queries only exported series, on labels they have", () => {
    const doc = parse(readFileSync(join(root, RULES), "utf8")) as {
      groups: { rules: { alert?: string; record?: string; expr: string }[] }[];
    };
    const rules = doc.groups.flatMap((g) => g.rules);
    expect(rules.length).toBeGreaterThan(0);
    expect(rules.flatMap((r) => problems(`rule '${r.alert ?? r.record}'`, promqlUses(r.expr)))).toEqual([]);
  });
});
