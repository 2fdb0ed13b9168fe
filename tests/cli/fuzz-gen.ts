import { stringify } from "yaml";
import { seededRandom } from "../../src/engine/ports.js";

/**
 * Generated workflow files and inputs for the CLI fuzz test: a random small workflow (only `wait`
 * steps, so nothing harmful runs), then random mutations of its structure — values at the edges,
 * deep nesting, shared and self-referencing values (YAML anchors and aliases), unicode, long
 * strings, keys removed or renamed — and sometimes of its text. Reproducible from the seed.
 */
export interface Case {
  text: string;
  /** `--input key=value` arguments. */
  inputs: string[];
}

type R = {
  int(n: number): number;
  pick<T>(items: readonly T[]): T;
  chance(p: number): boolean;
  /** Mostly `usual`; now and then a value at or past an edge. */
  edge<T>(usual: T, edges: readonly T[]): T;
};

function rng(seed: number): R {
  const random = seededRandom(seed);
  const int = (n: number) => Math.floor(random.next() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)] as T;
  const chance = (p: number) => random.next() < p;
  return { int, pick, chance, edge: (usual, edges) => (chance(0.12) ? pick(edges) : usual) };
}

const NUMBERS = [
  0,
  -0,
  1,
  -1,
  0.5,
  100,
  101,
  1e3,
  2 ** 31,
  2 ** 53 + 2,
  1e308,
  -1e308,
  5e-324,
  1e12,
  2592000000,
  2592000001,
];
const TEXTS = [
  "",
  " ",
  "x",
  "ünï©ødé",
  "🚀🚀",
  "\u0000",
  "\u202e",
  "a'b",
  'q"q',
  "${{",
  "}}",
  "\\1",
  "[",
  "*a",
  "&a",
  "#",
  "- x",
  "a: b",
];
const DURATIONS = [
  "1ms",
  "0ms",
  "0",
  "1.5s",
  "30d",
  "31d",
  "-1s",
  "1e3ms",
  `${"9".repeat(309)}ms`,
  "5m",
  " 2s ",
  "1 h",
];
const KEYS = [
  "id",
  "name",
  "with",
  "env",
  "retry",
  "timeout",
  "priority",
  "optional",
  "if",
  "outputs",
  "mode",
  "concurrency",
  "steps",
  "stages",
  "inputs",
  "recovery",
  "defaults",
  "max_attempts",
  "match",
  "strategy",
  "type",
  "x",
  "ünï",
  "__proto__",
  "constructor",
];
const MATCHES = [
  "ECONNRESET",
  "(a+)+$",
  "(?<=x)y",
  "(a)\\1",
  "x(?=y)",
  "[",
  ".{1000}.{1000}",
  "\\bfoo\\b",
  "é+",
  "a{2,1}",
  "(x+x+)+y",
  "",
];

function expression(r: R, depth: number): string {
  const leaf = () =>
    r.pick([
      () => `inputs.${r.edge("a", ["b", "nope", "ünï"])}`,
      () => String(r.pick(NUMBERS)),
      () => `'${r.pick(TEXTS).replaceAll("'", "''")}'`,
      () => r.edge(r.pick(["true", "false", "null", "run.id", "workflow.name"]), ["steps.w0.outcome", "foo"]),
    ])();
  if (depth <= 0 || r.chance(0.3)) return leaf();
  const inner = () => expression(r, depth - 1);
  return r.pick([
    () => `(${inner()})`,
    () => `!${inner()}`,
    () => `${inner()} ${r.pick(["==", "!=", "<", ">=", "&&", "||"])} ${inner()}`,
    () =>
      `${r.edge(r.pick(["contains", "startsWith", "format", "join"]), ["toJSON", "fromJSON", "nope"])}(${inner()}, ${inner()})`,
    () => `format('${r.edge("{0}", ["{1}", "{", "}}", "x"])}', ${inner()})`,
  ])();
}

function junk(r: R, depth = 0): unknown {
  return r.pick([
    () => r.pick(NUMBERS),
    () => r.pick(TEXTS),
    () => r.pick(DURATIONS),
    () => r.pick([true, false, null]),
    () => "x".repeat(r.pick([63, 64, 65, 100, 101, 241, 5000])),
    () => `\${{ ${expression(r, r.int(50))} }}`,
    () => (depth > 40 ? 1 : [junk(r, depth + 1)]),
    () => (depth > 40 ? 1 : { [r.pick(KEYS)]: junk(r, depth + 1) }),
    () => nested(r.int(70)),
  ])();
}

const nested = (depth: number): unknown => (depth === 0 ? "leaf" : { n: nested(depth - 1) });

function workflow(r: R): Record<string, unknown> {
  const inputs: Record<string, unknown> = {};
  for (const name of ["a", "b"].slice(0, 1 + r.int(2))) {
    inputs[name] = r.pick([
      { type: "string" },
      { type: "string", default: "" },
      { type: "string", required: true },
      { type: "number", default: r.pick(NUMBERS) },
      { type: "boolean", default: false },
      { type: "choice", options: ["x", "y"], default: "x" },
    ]);
  }
  let n = 0;
  const stages = Array.from({ length: 1 + r.int(3) }, (_, s) => {
    const stage: Record<string, unknown> = { id: `s${s}` };
    if (r.chance(0.3)) Object.assign(stage, { mode: "parallel", concurrency: r.edge(2, [1, 100, 101, 0]) });
    if (r.chance(0.3)) stage.if = expression(r, r.int(3));
    if (r.chance(0.2))
      stage.timeout = r.edge(
        "5m",
        DURATIONS.filter((d) => !/^(1ms|0|1\.5s| 2s )$/.test(d)),
      );
    stage.steps = Array.from({ length: 1 + r.int(3) }, () => {
      const step: Record<string, unknown> = { id: `w${n++}`, wait: r.pick(["1ms", 0, "0ms", 1]) };
      if (r.chance(0.3)) step.timeout = r.edge("5s", ["30d", "31d", 0, "1e400", 2 ** 31, "1m"]);
      if (r.chance(0.3))
        step.retry = { max_attempts: r.edge(3, [1, 100, 101, 1e12]), base_delay: r.edge("1ms", DURATIONS) };
      if (r.chance(0.3)) step.with = { x: `\${{ ${expression(r, r.int(3))} }}` };
      if (r.chance(0.2)) step.env = { E: r.edge("e", TEXTS) };
      return step;
    });
    return stage;
  });
  const file: Record<string, unknown> = {
    name: r.edge("fuzz", ["fuzz.v1", "n".repeat(101), "bad name"]),
    inputs,
    stages,
  };
  if (r.chance(0.3)) {
    const alternative = r.chance(0.5);
    file.recovery = [
      {
        id: "r",
        match: r.edge("ECONNRESET", MATCHES),
        type: "network",
        strategy: alternative ? "alternative" : r.pick(["fail", "retry"]),
        alternatives: alternative ? [{ with: { u: `\${{ ${expression(r, 3)} }}` } }] : undefined,
      },
    ];
  }
  return file;
}

/** Replaces, removes or shares a random value somewhere in `root` (sharing may make a cycle). */
function mutate(r: R, root: Record<string, unknown>): void {
  const nodes: Array<Record<string, unknown> | unknown[]> = [];
  const collect = (v: unknown) => {
    if (v && typeof v === "object" && !nodes.includes(v as never)) {
      nodes.push(v as never);
      Object.values(v).forEach(collect);
    }
  };
  collect(root);
  const node = r.pick(nodes);
  const keys = Object.keys(node);
  const key = keys.length ? r.pick(keys) : "0";
  const target = node as Record<string, unknown>;
  r.pick([
    () => (target[key] = junk(r)),
    () => delete target[key],
    () => (target[r.pick(KEYS)] = junk(r)),
    () => (target[key] = r.pick(nodes)), // an alias, maybe of an ancestor
  ])();
}

const TEXT_EDITS = [
  "[",
  "{",
  "]",
  "*",
  "&x ",
  ": ",
  "\t",
  "\n- ",
  "'",
  '"',
  "#",
  "---\n",
  "ü",
  "\u2028",
  "%YAML 1.2\n",
];

export function generate(seed: number): Case {
  const r = rng(seed);
  const file = workflow(r);
  for (let i = r.chance(0.5) ? 0 : 1 + r.int(3); i > 0; i--) mutate(r, file);
  let text = stringify(file, { aliasDuplicateObjects: true });
  if (r.chance(0.1)) {
    const at = r.int(text.length + 1);
    text = text.slice(0, at) + r.pick(TEXT_EDITS) + text.slice(at);
  }
  if (r.chance(0.05)) text = text.slice(0, r.int(text.length));
  const inputs: string[] = [];
  for (let i = r.int(3); i > 0; i--) {
    const value = r.edge("x", [
      ...TEXTS,
      ...DURATIONS,
      String(r.pick(NUMBERS)),
      "x".repeat(r.pick([65_536, 65_537])),
    ]);
    inputs.push("--input", `${r.edge("a", ["b", "c", "ü"])}=${value}`);
  }
  return { text, inputs };
}
