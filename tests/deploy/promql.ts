/**
 * What a PromQL expression reads, for the tests of deploy/: the metric names of its selectors,
 * the label names each selector matches on, and the label names of its `by`/`without`/`on`/
 * `ignoring`/`group_left`/`group_right` clauses. A small scanner, not a parser: strings are
 * dropped (their contents are values, never names), range and subquery brackets are skipped,
 * Grafana variables (`$job`, `${job}`, `$__rate_interval`) are ignored, and an identifier is a
 * metric name unless it is a function (followed by `(`) or a keyword. A selector without a
 * metric name (`{__name__=~"..."}`) is refused: the tests could not tell what it reads.
 */
export interface SelectorUse {
  /** The metric name as written (`workflow_duration_ms_bucket`). */
  name: string;
  /** Label names of its matchers (`{job="x", le="5"}` → job, le). */
  matchers: string[];
}

export interface PromqlUse {
  selectors: SelectorUse[];
  /** Label names of the grouping and matching clauses. */
  groupings: string[];
}

const KEYWORDS = new Set(["and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring"]);
const AGGREGATIONS = new Set([
  "sum",
  "min",
  "max",
  "avg",
  "group",
  "stddev",
  "stdvar",
  "count",
  "count_values",
  "bottomk",
  "topk",
  "quantile",
  "limitk",
  "limit_ratio",
]);
const GROUPING = new Set(["by", "without", "on", "ignoring", "group_left", "group_right"]);
const IDENT = /[a-zA-Z_:][a-zA-Z0-9_:]*/y;
const LABEL = /[a-zA-Z_][a-zA-Z0-9_]*/g;

/** The expression without its string literals (each replaced by `""`). */
function dropStrings(expr: string): string {
  return expr.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""');
}

/** The index just past the bracket closing the one at `open`. */
function closing(text: string, open: number, expr: string): number {
  const pairs: Record<string, string> = { "(": ")", "[": "]", "{": "}" };
  const want = pairs[text[open] as string] as string;
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === text[open]) depth++;
    else if (text[i] === want && --depth === 0) return i + 1;
  }
  throw new Error(`unbalanced '${text[open]}' in PromQL: ${expr}`);
}

function nextChar(text: string, from: number): { ch: string | undefined; at: number } {
  let at = from;
  while (at < text.length && /\s/.test(text[at] as string)) at++;
  return { ch: text[at], at };
}

export function promqlUses(expr: string): PromqlUse {
  const text = dropStrings(expr);
  const selectors: SelectorUse[] = [];
  const groupings: string[] = [];
  let depth = 0;
  let i = 0;
  while (i < text.length) {
    const c = text[i] as string;
    if (/\s/.test(c)) {
      i++;
    } else if (c === "$") {
      // A Grafana variable: $name, ${name}, ${name:format}.
      i = text[i + 1] === "{" ? closing(text, i + 1, expr) : i + 1;
      IDENT.lastIndex = i;
      if (IDENT.test(text)) i = IDENT.lastIndex;
    } else if (c === "[") {
      i = closing(text, i, expr); // a range or a subquery's resolution
    } else if (c === "{") {
      throw new Error(`a selector without a metric name is not supported here: ${expr}`);
    } else if (/[0-9.]/.test(c)) {
      // A number or a duration (5m, 1h30m), consumed whole so no letter of it reads as a name.
      const m = /^(?:0x[0-9a-fA-F]+|[0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?(?:[smhdwy]|ms)*)/.exec(text.slice(i));
      i += Math.max(1, m?.[0].length ?? 0);
    } else {
      IDENT.lastIndex = i;
      if (!IDENT.test(text)) {
        if (c === "(") depth++;
        else if (c === ")" && --depth < 0) throw new Error(`unbalanced ')' in PromQL: ${expr}`);
        i++;
        continue;
      }
      const word = text.slice(i, IDENT.lastIndex);
      i = IDENT.lastIndex;
      const next = nextChar(text, i);
      if (GROUPING.has(word)) {
        if (next.ch === "(") {
          const end = closing(text, next.at, expr);
          groupings.push(...(text.slice(next.at + 1, end - 1).match(LABEL) ?? []));
          i = end;
        }
      } else if (
        next.ch === "(" ||
        KEYWORDS.has(word.toLowerCase()) ||
        (AGGREGATIONS.has(word) && /^\s*(by|without)\b/.test(text.slice(i)))
      ) {
        // A function or an aggregation (its clause and arguments are scanned next), or a keyword.
      } else if (/^(inf|nan)$/i.test(word)) {
        // Numbers.
      } else {
        const use: SelectorUse = { name: word, matchers: [] };
        if (next.ch === "{") {
          const end = closing(text, next.at, expr);
          const body = text.slice(next.at + 1, end - 1);
          for (const m of body.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)/g))
            use.matchers.push(m[1] as string);
          i = end;
        }
        selectors.push(use);
      }
    }
  }
  if (depth !== 0) throw new Error(`unbalanced '(' in PromQL: ${expr}`);
  return { selectors, groupings };
}

/** `label_values(<selector>, <label>)` / `label_values(<label>)` of a Grafana variable query. */
export function labelValuesQuery(query: string): { selector?: string; label: string } {
  const m = /^\s*label_values\(\s*(?:(.*?)\s*,\s*)?([a-zA-Z_][a-zA-Z0-9_]*)\s*\)\s*$/s.exec(query);
  if (!m) throw new Error(`not a label_values(...) query: ${query}`);
  return { ...(m[1] ? { selector: m[1] } : {}), label: m[2] as string };
}

/** A Prometheus duration (`0s`, `5m`, `1h30m`, `500ms`) in ms. */
export function durationMs(text: string): number {
  const units: Record<string, number> = {
    ms: 1,
    s: 1000,
    m: 60_000,
    h: 3_600_000,
    d: 86_400_000,
    w: 604_800_000,
    y: 31_536_000_000,
  };
  if (!/^(?:[0-9]+(?:ms|[smhdwy]))+$/.test(text)) throw new Error(`not a Prometheus duration: '${text}'`);
  let total = 0;
  for (const m of text.matchAll(/([0-9]+)(ms|[smhdwy])/g))
    total += Number(m[1]) * (units[m[2] as string] as number);
  return total;
}
