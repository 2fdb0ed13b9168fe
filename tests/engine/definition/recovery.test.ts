import { describe, expect, it } from "vitest";
import { compileWorkflow, parseWorkflow } from "../../../src/engine/definition/index.js";
import { workflowJsonSchema } from "../../../src/engine/definition/json-schema.js";
import { compilePatterns, mergePatterns } from "../../../src/engine/recovery/index.js";
import type { RecoveryPattern } from "../../../src/engine/recovery/types.js";
import { fixture, problemLines, standInKinds, workflowError, yaml } from "./helpers.js";

const kinds = standInKinds(["run", "http", "wait", "github"]);

/** Lines 1–9: a workflow with steps build, docs (optional), lint (optional) and cache. */
const head = [
  "name: deploy",
  "stages:",
  "  - id: build",
  "    steps:",
  "      - { id: build, run: make }",
  "      - { id: docs, run: make docs, optional: true }",
  "      - { id: lint, run: make lint, optional: true }",
  "      - { id: cache, run: ./restore-cache.sh }",
  "recovery:",
];
const withRecovery = (...lines: string[]) => yaml(...head, ...lines);
const problems = (...lines: string[]) => problemLines(withRecovery(...lines), "deploy.yml", kinds);

describe("compiling recovery:", () => {
  it("compiles the block of workflow-format.md to RecoveryPattern[] (priorities, ms, source)", () => {
    const plan = parseWorkflow(fixture("release.yml"), { file: "release.yml", kinds });
    expect(plan.recovery).toEqual<RecoveryPattern[]>([
      {
        id: "rate_limited",
        match: "429|rate limit|secondary rate",
        type: "rate_limit",
        strategy: "retry",
        priority: 100,
        maxAttempts: 6,
        baseDelayMs: 5000,
        source: "workflow",
      },
      {
        id: "mirror_down",
        match: "ECONNREFUSED.*mirror-a",
        type: "network",
        strategy: "alternative",
        priority: 90,
        alternatives: [{ with: { url: "https://mirror-b.example.com/build" } }],
        source: "workflow",
      },
      {
        id: "docs_slow",
        match: "docs.*timed out",
        type: "timeout",
        strategy: "degrade",
        priority: 100,
        skip: ["docs"],
        source: "workflow",
      },
      {
        id: "security",
        match: "vulnerab|security check failed",
        type: "security",
        strategy: "escalate",
        priority: 200,
        severity: "critical",
        notify: "pagerduty",
        source: "workflow",
      },
    ]);
    // the engine's order: priority first, then file order; workflow patterns before the defaults
    const ordered = compilePatterns(mergePatterns(plan.recovery)).map((c) => c.pattern.id);
    expect(ordered.slice(0, 4)).toEqual(["security", "rate_limited", "docs_slow", "mirror_down"]);
    expect(ordered).toContain("github_secondary_rate_limit");
  });

  it("compiles every key, with durations in milliseconds", () => {
    const plan = parseWorkflow(
      withRecovery(
        "  - id: flaky_api",
        "    match: 'status=50\\d'",
        "    type: network",
        "    strategy: retry",
        "    priority: 120",
        "    max_attempts: 4",
        "    base_delay: 1.5s",
        "    max_delay: 2m",
        "    on_budget_exhausted: escalate",
        "    severity: warning",
        "    notify: slack",
        "  - id: mirror",
        "    match: ECONNREFUSED",
        "    type: network",
        "    strategy: alternative",
        "    alternatives:",
        "      - with: { url: https://mirror-b.example.com }",
        "      - step: cache",
        "      - { step: cache, with: { fresh: true } }",
        "  - id: no_docs",
        "    match: docs",
        "    type: resource",
        "    strategy: degrade",
        "    skip: [docs, lint]",
        "    variant: cache",
        "  - { id: bad_config, match: 'code=exit_2', type: configuration, strategy: fail, priority: 5 }",
      ),
      { file: "deploy.yml", kinds },
    );
    expect(plan.recovery).toEqual<RecoveryPattern[]>([
      {
        id: "flaky_api",
        match: "status=50\\d",
        type: "network",
        strategy: "retry",
        priority: 120,
        maxAttempts: 4,
        baseDelayMs: 1500,
        maxDelayMs: 120_000,
        onBudgetExhausted: "escalate",
        severity: "warning",
        notify: "slack",
        source: "workflow",
      },
      {
        id: "mirror",
        match: "ECONNREFUSED",
        type: "network",
        strategy: "alternative",
        priority: 100,
        alternatives: [
          { with: { url: "https://mirror-b.example.com" } },
          { step: "cache" },
          { step: "cache", with: { fresh: true } },
        ],
        source: "workflow",
      },
      {
        id: "no_docs",
        match: "docs",
        type: "resource",
        strategy: "degrade",
        priority: 100,
        skip: ["docs", "lint"],
        variant: "cache",
        source: "workflow",
      },
      {
        id: "bad_config",
        match: "code=exit_2",
        type: "configuration",
        strategy: "fail",
        priority: 5,
        source: "workflow",
      },
    ]);
  });

  it("keeps the snake_case form in the normalised definition, so the hash is stable", () => {
    const write = (delay: string, priority: string) =>
      withRecovery(
        "  - id: r",
        "    match: x",
        "    type: network",
        "    strategy: retry",
        `    base_delay: ${delay}`,
        ...(priority ? [`    priority: ${priority}`] : []),
      );
    const plan = parseWorkflow(write("60s", ""), { kinds });
    expect((plan.definition as { recovery: unknown }).recovery).toEqual([
      { id: "r", match: "x", type: "network", strategy: "retry", priority: 100, base_delay: 60_000 },
    ]);
    expect(parseWorkflow(write("1m", "100"), { kinds }).hash).toBe(plan.hash);
    const again = compileWorkflow(plan.definition, { kinds });
    expect(again.hash).toBe(plan.hash);
    expect(again.recovery).toEqual(plan.recovery);
  });

  it("publishes the pattern's shape in the JSON Schema", () => {
    const schema = workflowJsonSchema() as {
      properties: { recovery: { items: Record<string, unknown> & { properties: Record<string, unknown> } } };
    };
    const item = schema.properties.recovery.items;
    expect(item.additionalProperties).toBe(false);
    expect(item.required).toEqual(["id", "match", "type", "strategy"]);
    expect(item.properties.strategy).toMatchObject({
      enum: ["retry", "alternative", "degrade", "escalate", "fail"],
    });
    expect(item.properties.priority).toMatchObject({ default: 100 });
  });
});

describe("checking recovery:", () => {
  it("reports an invalid regular expression, an unknown strategy and an unknown type", () => {
    expect(
      problems(
        "  - id: ok", // 10
        "    match: timed out",
        "    type: timeout",
        "    strategy: retry",
        "  - id: broken", // 14
        '    match: "(abc"',
        "    type: netwrk",
        "    strategy: retyr",
        "  - { id: odd, match: x, type: weird, strategy: panic }", // 18
      ),
    ).toEqual([
      "deploy.yml:15:12 recovery[1].match: invalid regular expression: missing closing ): `(abc` (RE2 syntax)",
      "deploy.yml:16:11 recovery[1].type: unknown type 'netwrk' (did you mean 'network'?)",
      "deploy.yml:17:15 recovery[1].strategy: unknown strategy 'retyr' (did you mean 'retry'?)",
      "deploy.yml:18:32 recovery[2].type: unknown type 'weird' (known: network, rate_limit, timeout, ai_service, validation, resource, configuration, security, unknown)",
      "deploy.yml:18:49 recovery[2].strategy: unknown strategy 'panic' (known: retry, alternative, degrade, escalate, fail)",
    ]);
  });

  it("refuses patterns RE2 cannot match in linear time: lookbehind, lookahead, backreferences", () => {
    expect(
      problems(
        '  - { id: behind, match: "(?<=token )secret", type: security, strategy: fail }', // line 10
        '  - { id: ahead, match: "x(?!y)", type: security, strategy: fail }', // line 11
        '  - { id: ref, match: "(a)\\\\1", type: security, strategy: fail }', // line 12
        '  - { id: fine, match: "(a+)+$", type: security, strategy: fail }', // line 13
      ),
    ).toEqual([
      "deploy.yml:10:26 recovery[0].match: invalid regular expression: lookahead and lookbehind ('(?=', '(?!', '(?<=', '(?<!') are not supported: patterns use RE2 syntax, which matches in linear time",
      "deploy.yml:11:25 recovery[1].match: invalid regular expression: lookahead and lookbehind ('(?=', '(?!', '(?<=', '(?<!') are not supported: patterns use RE2 syntax, which matches in linear time",
      "deploy.yml:12:23 recovery[2].match: invalid regular expression: backreferences ('\\1', '\\k<name>') are not supported: patterns use RE2 syntax, which matches in linear time",
    ]);
  });

  it("bounds a pattern's length and compiled size, and all patterns' size together", () => {
    const lines = problems(
      `  - { id: long, match: "${"x".repeat(1001)}", type: network, strategy: fail }`, // line 10
      '  - { id: big, match: ".{1000}.{1000}", type: network, strategy: fail }', // line 11
      '  - { id: fits, match: "[a-z]{900}", type: network, strategy: fail }', // line 12
    );
    expect(lines).toEqual([
      "deploy.yml:10:24 recovery[0].match: invalid regular expression: at most 1000 characters, got 1001",
      "deploy.yml:11:23 recovery[1].match: invalid regular expression: the pattern is too large: it compiles to about 4002 RE2 instructions, at most 1000 (use smaller repeat counts)",
    ]);
    const many = Array.from(
      { length: 6 },
      (_, i) => `  - { id: p${i}, match: "[a-z]{900}", type: network, strategy: fail }`,
    );
    expect(problems(...many)).toEqual([
      "deploy.yml:10:3 recovery: the patterns' match expressions compile to 5412 instructions together, at most 5000 (simplify them or use fewer)",
    ]);
  });

  it("checks the expressions of alternatives' with:", () => {
    const lines = problems(
      "  - id: mirror", // line 10
      "    match: ECONNREFUSED",
      "    type: network",
      "    strategy: alternative",
      "    alternatives:",
      '      - with: { url: "${{ inputs.mirror }}", n: "${{ steps.nope.outputs.x }}" }', // line 15
      '      - with: { body: "${{ fromJSON(\'{\') }}", ok: "${{ steps.cache.outcome }}" }', // line 16
    );
    expect(lines.slice(0, 2)).toEqual([
      "deploy.yml:15:22 recovery[0].alternatives[0].with.url: unknown input 'mirror' (the workflow declares no inputs)",
      "deploy.yml:15:49 recovery[0].alternatives[0].with.n: unknown step 'nope'",
    ]);
    // The rest of the message is JSON.parse's own (it varies with the Node version).
    expect(lines[2]).toMatch(
      /^deploy\.yml:16:23 recovery\[0\]\.alternatives\[1\]\.with\.body: invalid expression 'fromJSON\('\{'\)': fromJSON\(\): .* at column 1$/,
    );
    expect(lines).toHaveLength(3);
  });

  it("reports alternatives naming a missing step, and alternatives without step or with", () => {
    expect(
      problems(
        "  - id: mirror", // 10
        "    match: ECONNREFUSED",
        "    type: network",
        "    strategy: alternative",
        "    alternatives:",
        "      - step: cache",
        "      - step: rebuild_all", // 16
        "      - {}",
        "  - { id: a2, match: x, type: network, strategy: alternative, alternatives: [] }", // 18
        "  - { id: a3, match: x, type: network, strategy: alternative }", // 19
      ),
    ).toEqual([
      "deploy.yml:16:15 recovery[0].alternatives[1].step: unknown step 'rebuild_all'",
      "deploy.yml:17:9 recovery[0].alternatives[2]: an alternative needs 'step' or 'with' (or both)",
      "deploy.yml:18:77 recovery[1].alternatives: must not be empty",
      "deploy.yml:19:5 recovery[2]: strategy alternative needs 'alternatives': a list of { step: <id> } or { with: {...} }",
    ]);
  });

  it("suggests the closest step id", () => {
    expect(
      problems(
        "  - id: mirror",
        "    match: ECONNREFUSED",
        "    type: network",
        "    strategy: alternative",
        "    alternatives: [{ step: build_b }]",
      ),
    ).toEqual([
      "deploy.yml:14:28 recovery[0].alternatives[0].step: unknown step 'build_b' (did you mean 'build'?)",
    ]);
  });

  it("reports skip naming a missing or a required step, and a missing variant", () => {
    expect(
      problems(
        "  - id: shed", // 10
        "    match: out of memory",
        "    type: resource",
        "    strategy: degrade",
        "    skip: [docs, build, dcos]", // 14
        "    variant: fallback", // 15
        "  - { id: nothing, match: x, type: resource, strategy: degrade, skip: [] }", // 16
      ),
    ).toEqual([
      "deploy.yml:14:18 recovery[0].skip[1]: step 'build' is not optional: a degrade may only skip optional steps (add 'optional: true' to stages[0].steps[0])",
      "deploy.yml:14:25 recovery[0].skip[2]: unknown step 'dcos' (did you mean 'docs'?)",
      "deploy.yml:15:14 recovery[0].variant: unknown step 'fallback'",
      "deploy.yml:16:5 recovery[1]: strategy degrade needs 'skip' (optional steps to skip) or 'variant' (a step to run instead)",
    ]);
    const e = workflowError(() =>
      parseWorkflow(
        withRecovery("  - { id: d, match: x, type: resource, strategy: degrade, skip: [build] }"),
        { file: "deploy.yml", kinds },
      ),
    );
    expect(e.problems[0]?.hint).toBe("add 'optional: true' to step 'build' (stages[0].steps[0])");
  });

  it("reports duplicate pattern ids", () => {
    expect(
      problems(
        "  - { id: flaky, match: a, type: network, strategy: retry }",
        "  - { id: other, match: b, type: network, strategy: retry }",
        "  - { id: flaky, match: c, type: network, strategy: fail }",
      ),
    ).toEqual(["deploy.yml:12:11 recovery[2].id: duplicate pattern id 'flaky' (also recovery[0])"]);
  });

  it("rejects keys of another strategy, and max_delay below base_delay", () => {
    expect(
      problems(
        "  - id: a", // 10
        "    match: x",
        "    type: network",
        "    strategy: alternative",
        "    alternatives: [{ step: cache }]",
        "    max_attempts: 3", // 15
        "    skip: [docs]", // 16
        "  - id: b", // 17
        "    match: x",
        "    type: network",
        "    strategy: retry",
        "    base_delay: 10s",
        "    max_delay: 2s", // 22
        "    severity: critical", // 23
        "  - { id: c, match: x, type: security, strategy: escalate, base_delay: 1s }", // 24
      ),
    ).toEqual([
      "deploy.yml:15:5 recovery[0]: 'max_attempts' applies only to strategy retry, not alternative (remove it)",
      "deploy.yml:16:5 recovery[0]: 'skip' applies only to strategy degrade, not alternative (remove it)",
      "deploy.yml:22:16 recovery[1].max_delay: max_delay (2s) must not be shorter than base_delay (10s)",
      "deploy.yml:23:5 recovery[1]: 'severity' applies to strategy escalate, or to retry with 'on_budget_exhausted: escalate'",
      "deploy.yml:24:60 recovery[2]: 'base_delay' applies only to strategy retry, not escalate (remove it)",
    ]);
  });

  it("reports missing keys, unknown keys and values of the wrong shape", () => {
    expect(
      problems(
        "  - { id: r }", // 10
        "  - id: s", // 11
        "    match: ''",
        "    type: network",
        "    strategy: retry",
        "    max_attempts: 0", // 15
        "    base_delay: soon",
        "    on_budget_exhausted: never",
        "    retries: 3", // 18
        "  - id: 9lives", // 19
        "    match: 42",
        "    type: network",
        "    strategy: escalate",
        "    severity: fatal",
      ),
    ).toEqual([
      "deploy.yml:10:5 recovery[0]: missing required key 'match'",
      "deploy.yml:10:5 recovery[0]: missing required key 'type'",
      "deploy.yml:10:5 recovery[0]: missing required key 'strategy'",
      "deploy.yml:12:12 recovery[1].match: must not be empty (it would match every error)",
      "deploy.yml:15:19 recovery[1].max_attempts: must be at least 1, got number 0",
      "deploy.yml:16:17 recovery[1].base_delay: expected a duration such as '500ms', '30s', '5m' or '1h' (or a number of milliseconds), got string 'soon'",
      "deploy.yml:17:26 recovery[1].on_budget_exhausted: expected one of wait, escalate, got string 'never'",
      "deploy.yml:18:5 recovery[1]: unknown key 'retries'",
      "deploy.yml:19:9 recovery[2].id: must start with a letter or '_' and hold only letters, digits, '_' and '-', got string '9lives'",
      "deploy.yml:20:12 recovery[2].match: expected a string, got number 42",
      "deploy.yml:23:15 recovery[2].severity: expected one of info, warning, error, critical, got string 'fatal'",
    ]);
  });

  it("gives the same messages without positions for a workflow given as an object", () => {
    const e = workflowError(() =>
      compileWorkflow(
        {
          name: "x",
          stages: [{ id: "a", steps: [{ id: "s", run: "make" }] }],
          recovery: [{ id: "r", match: "a[", type: "network", strategy: "degrade", skip: ["s"] }],
        },
        { kinds },
      ),
    );
    expect(e.message.split("\n")).toEqual([
      "recovery[0].match: invalid regular expression: missing closing ]: `[` (RE2 syntax)",
      "recovery[0].skip[0]: step 's' is not optional: a degrade may only skip optional steps (add 'optional: true' to stages[0].steps[0])",
    ]);
  });
});
