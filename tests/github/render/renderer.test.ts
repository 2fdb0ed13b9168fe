import { isWorkflowError, parseWorkflow, type WorkflowError } from "stageflow";
import {
  checkRunOutput,
  COMMENT_LIMIT,
  commentBody,
  commentMarker,
  createRenderer,
  fit,
  helpReply,
  problemViews,
  type RunView,
  runListItem,
  runView,
  SUMMARY_LIMIT,
  TEMPLATE_NAMES,
  type TemplateOverride,
} from "stageflow/render";
import { beforeAll, describe, expect, it } from "vitest";
import { checkRequest } from "../../support/openapi.js";
import { failedRelease, planOf, SECRET, testEngine, waitingGate } from "./fixtures.js";

let failed: RunView;
let gate: RunView;

beforeAll(async () => {
  const f = await failedRelease();
  failed = runView(f.report, { now: f.clock.now(), plan: f.plan, runUrl: "https://example.com/runs/1" });
  const g = await waitingGate();
  gate = runView(g.report, { now: g.clock.now() + 3_600_000, plan: g.plan });
});

/** An override whose loads are counted. */
function override(sha: string, text: string): TemplateOverride & { loads: number } {
  const o = {
    sha,
    loads: 0,
    path: ".github/stageflow/templates/comment.md",
    async load() {
      o.loads++;
      return text;
    },
  };
  return o;
}

describe("the built-in templates", () => {
  it("check-run: the stage table with attempts and recovery, the masked secret, the failed step's file:line", async () => {
    const output = await checkRunOutput(failed, createRenderer());
    const line = failed.failedSteps[0]!.line;
    expect(output.title).toBe("❌ release failed in 1.4s");
    expect(output.summary).toContain(
      "| &nbsp;&nbsp;✅ compile | succeeded | 3 (2 retry) | 1.4s | recovered by retry after 3 attempts |",
    );
    expect(output.summary).toContain(
      "| &nbsp;&nbsp;✅ deps | succeeded | 2 (1 alternative) | 0ms | recovered by alternative (pattern mirror_down) after 2 attempts |",
    );
    // The error's `|` is escaped so the row keeps its five cells.
    expect(output.summary).toContain(
      "| &nbsp;&nbsp;❌ upload | failed | 1 | 0ms | handler_error · failed after 1 attempt · `upload rejected: token *** expired \\| see https://example.com` |",
    );
    expect(output.summary).toContain("| ✅ **build** | succeeded |  | 1.4s |  ⚠️ past warn_after 1s |");
    expect(output.summary).toContain(
      "| deps | network: `connect ECONNREFUSED mirror-a.example.com:443` | alternative | mirror_down | ✅ recovered | 2 | 0ms |",
    );
    expect(output.summary).toContain("| token | `***` |");
    expect(output.summary).toContain(`- **upload** (ship) at \`.github/stageflow/release.yml:${line}\`:`);
    expect(output.summary).toContain("stage build took 1.4s, past its warn\\_after of 1s");
    expect(output.summary).toContain("[Details](https://example.com/runs/1)");
    expect(output.summary).not.toContain(SECRET);
    expect(output.annotations).toEqual(failed.annotations);
    expect(output.warnings).toEqual([]);
  });

  it("comment: compact, with the status emoji, the stage table and the commands that apply", async () => {
    const body = await commentBody(failed, createRenderer());
    expect(body.split("\n")[0]).toBe("### ❌ stageflow: **release** failed");
    expect(body).toContain("| build | ✅ succeeded ⚠️ | 1.4s | ✅ compile ×3, ✅ deps ×2 |");
    expect(body).toContain("| ship | ❌ failed | 0ms | ❌ upload |");
    expect(body).toContain("- `token`: `***`");
    expect(body).toContain("`/stageflow retry`");
    expect(body).not.toContain(SECRET);
    expect(body).not.toContain("<!-- stageflow:run:"); // the app appends the marker

    const waiting = await commentBody(gate, createRenderer());
    expect(waiting.split("\n")[0]).toBe("### ✋ stageflow: **gate** waits for approval");
    expect(waiting).toContain("> Step `approve` waits for an approval: comment `/stageflow approve`.");
    expect(waiting).toContain("> stage gate has run for 1h, past its warn\\_after of 10m (still running)");
    expect(waiting).toContain("| gate | ⏸️ waiting ⚠️ | 1h | ✋ approve |");
  });

  it("the replies render from their data", async () => {
    const renderer = createRenderer();
    const { engine } = testEngine();
    const refused = await renderer.render("reply-refused", {
      actor: "mallory",
      command: "/deploy env=prod",
      reason: "mallory has read permission",
      permission: "write",
      teams: ["acme/releasers"],
    });
    expect(refused.text).toBe(
      "👎 @mallory, `/deploy env=prod` was refused: mallory has read permission\n\n" +
        "It needs **write** permission on this repository, or membership of `acme/releasers`.\n",
    );

    const invalid = await renderer.render("reply-invalid", {
      actor: "octocat",
      command: "/stageflow run release versoin=2",
      workflow: "release",
      problems: ["unknown input 'versoin' (did you mean 'version'?)"],
      usage: "/stageflow run release version=<string> token=<string>",
      prefix: "/stageflow",
    });
    expect(invalid.text).toContain("- unknown input 'versoin' (did you mean 'version'?)");
    expect(invalid.text).toContain("Usage: `/stageflow run release version=<string> token=<string>`");

    const deploy = planOf(
      engine,
      `name: deploy
description: Ship it
on: { labels: [deploy], commands: [deploy] }
inputs:
  env: { type: choice, options: [staging, production], required: true }
  token: { type: string, secret: true, default: "xyz-secret-default" }
stages:
  - id: go
    steps: [{ id: go, wait: 1s }]
`,
      ".github/stageflow/deploy.yml",
    );
    const help = await renderer.render(
      "reply-help",
      helpReply([deploy], { actor: "octocat", unknown: "/stageflow dance" }),
    );
    expect(help.text).toContain("@octocat, `/stageflow dance` is not a command I know.");
    expect(help.text).toContain("#### `deploy`: Ship it");
    expect(help.text).toContain(
      "- Start: `/stageflow run deploy env=…` or `/deploy`, or add the label `deploy`",
    );
    expect(help.text).toContain("  - `env` (choice, required: `staging` \\| `production`)");
    expect(help.text).toContain("  - `token` (string, secret)");
    expect(help.text).not.toContain("xyz-secret-default");
    expect(help.text).toContain(
      "| `/stageflow approve [#RUN]` | approve the step that waits for an approval |",
    );

    const status = await renderer.render("reply-status", {
      actor: "octocat",
      run: failed,
      runs: [runListItem(failed), runListItem(gate)],
      pr: true,
    });
    expect(status.text).toContain(`❌ **release** run \`${failed.runId}\`: release failed in 1.4s`);
    expect(status.text).toContain("| ship | ❌ failed | 0ms | ❌ upload |");
    expect(status.text).toContain(`- ✋ \`${gate.runId}\` gate: waiting (running for 1h)`);
    const none = await renderer.render("reply-status", { actor: "octocat", run: null, runs: [], pr: false });
    expect(none.text).toBe("No stageflow run on this issue yet.\n");

    let error: WorkflowError | undefined;
    try {
      parseWorkflow(
        "name: broken\nstages:\n  - id: a\n    steps:\n      - id: s\n        wait: 1s\n        retires: 3\n",
        {
          file: ".github/stageflow/broken.yml",
          kinds: engine.kinds,
        },
      );
    } catch (e) {
      if (isWorkflowError(e)) error = e;
    }
    expect(error).toBeDefined();
    const problem = await renderer.render("reply-workflow-error", {
      actor: "octocat",
      file: ".github/stageflow/broken.yml",
      command: "/stageflow run broken",
      problems: problemViews(error!.problems),
    });
    expect(problem.text).toMatch(
      /^👎 @octocat, `\.github\/stageflow\/broken\.yml` on the default branch has a problem/,
    );
    expect(problem.text).toContain(
      "- `.github/stageflow/broken.yml:7:9` `stages[0].steps[0]`: unknown key 'retires'",
    );

    const started = await renderer.render("reply-started", {
      actor: "octocat",
      command: "/stageflow run release",
      run: failed,
    });
    expect(started.text).toContain(
      `🚀 @octocat, started **release** (run \`${failed.runId}\`) for \`/stageflow run release\``,
    );
    expect(started.text).toContain("`token`=`***`");
    expect(started.text).not.toContain(SECRET);
    await engine.close();
  });

  it("every built-in template renders with the run view without an error", async () => {
    const renderer = createRenderer();
    for (const name of TEMPLATE_NAMES) {
      const out = await renderer.render(name, {
        ...failed,
        run: failed,
        runs: [],
        problems: [],
        workflows: [],
        commands: [],
        teams: [],
      });
      expect(out.source).toBe("builtin");
      expect(out.warning).toBeUndefined();
    }
  });
});

describe("the cache of compiled templates", () => {
  it("counts hits and misses; an override is loaded and compiled once per blob SHA, again for a new SHA", async () => {
    const renderer = createRenderer();
    await renderer.render("comment", failed);
    await renderer.render("comment", failed);
    expect(renderer.stats()).toEqual({ hits: 1, misses: 1, size: 1 });

    const v1 = override("sha-1", "v1 {{ workflow }}");
    expect(await renderer.render("comment", failed, v1)).toEqual({
      text: "v1 release\n",
      source: "override",
    });
    expect(await renderer.render("comment", failed, v1)).toEqual({
      text: "v1 release\n",
      source: "override",
    });
    expect(v1.loads).toBe(1);
    expect(renderer.stats()).toEqual({ hits: 2, misses: 2, size: 2 });

    // The file changed on the default branch: a new blob SHA is read and compiled again.
    const v2 = override("sha-2", "v2 {{ status }}");
    expect((await renderer.render("comment", failed, v2)).text).toBe("v2 failed\n");
    expect(v2.loads).toBe(1);
    expect(renderer.stats()).toEqual({ hits: 2, misses: 3, size: 3 });
  });

  it("keeps at most maxCached compiled templates, dropping the least recently used", async () => {
    const renderer = createRenderer({ maxCached: 2 });
    const a = override("a", "A");
    await renderer.render("comment", failed, a);
    await renderer.render("comment", failed, override("b", "B"));
    await renderer.render("comment", failed, a); // a is used again: b is now the oldest
    await renderer.render("comment", failed, override("c", "C"));
    expect(renderer.stats().size).toBe(2);
    await renderer.render("comment", failed, a);
    expect(a.loads).toBe(1);
  });
});

describe("repository templates are untrusted", () => {
  const builtin = async () => (await createRenderer().render("comment", failed)).text;

  it.each([
    ["include", "{% include '/etc/passwd' %}"],
    ["include (relative)", "{% include '../../../../../../etc/passwd' %}"],
    ["render", "{% render '/etc/passwd' %}"],
    ["layout", "{% layout '/etc/passwd' %}x"],
    ["include of a built-in template by path", "{% include 'templates/check-run.md' %}"],
  ])("%s cannot read a file: the built-in template is used, with a warning", async (_, text) => {
    const renderer = createRenderer();
    const out = await renderer.render("comment", failed, override(`sha-${text}`, text));
    expect(out.source).toBe("builtin");
    expect(out.text).toBe(await builtin());
    expect(out.text).not.toMatch(/root:/);
    expect(out.warning).toMatch(
      /^\.github\/stageflow\/templates\/comment\.md failed to render: .*; the built-in template was used$/,
    );
  });

  it("an unknown filter (no code but the registered filters) is a parse error: fallback with a warning", async () => {
    const out = await createRenderer().render("comment", failed, override("f", "{{ runId | eval }}"));
    expect(out.source).toBe("builtin");
    expect(out.warning).toMatch(/cannot be parsed: .*undefined filter: eval/);
  });

  it("a huge range is stopped by the memory limit", async () => {
    const out = await createRenderer().render(
      "comment",
      failed,
      override("loop", "{% for i in (1..1000000000) %}x{% endfor %}"),
    );
    expect(out.source).toBe("builtin");
    expect(out.warning).toMatch(/memory alloc limit exceeded/);
  });

  it("nested loops that write are stopped at the output limit", async () => {
    const renderer = createRenderer({ limits: { outputLimit: 10_000 } });
    const out = await renderer.render(
      "comment",
      failed,
      override(
        "nested",
        "{% for a in (1..100000) %}{% for b in (1..100000) %}0123456789{% endfor %}{% endfor %}",
      ),
    );
    expect(out.source).toBe("builtin");
    expect(out.warning).toMatch(/exceeded the output limit of 10000 characters/);
  });

  it("nested loops that write nothing, and a string doubled until it is huge, are stopped by the limits", async () => {
    const renderer = createRenderer({ limits: { memoryLimit: 200_000 } });
    const silent = await renderer.render(
      "comment",
      failed,
      override("silent", "{% for a in (1..100000) %}{% for b in (1..100000) %}{% endfor %}{% endfor %}"),
    );
    expect(silent.source).toBe("builtin");
    expect(silent.warning).toMatch(/limit exceeded/);
    const doubling = await renderer.render(
      "comment",
      failed,
      override(
        "double",
        '{% assign s = "0123456789" %}{% for i in (1..64) %}{% assign s = s | append: s %}{% endfor %}{{ s | size }}',
      ),
    );
    expect(doubling.source).toBe("builtin");
    expect(doubling.warning).toMatch(/memory alloc limit exceeded/);
  });

  it("a template over the parse limit is refused", async () => {
    const renderer = createRenderer({ limits: { parseLimit: 8000 } });
    const out = await renderer.render("comment", failed, override("big", "x".repeat(20_000)));
    expect(out.source).toBe("builtin");
    expect(out.warning).toMatch(/cannot be parsed: .*limit exceeded/);
  });

  it("a broken override falls back to the built-in one, is remembered as broken for its SHA, and the output says so", async () => {
    const renderer = createRenderer();
    const broken = override("broken", "{% for s in stages %}{{ s.id }}");
    const first = await renderer.render("comment", failed, broken);
    expect(first.source).toBe("builtin");
    expect(first.text).toBe(await builtin());
    expect(first.warning).toMatch(
      /^\.github\/stageflow\/templates\/comment\.md cannot be parsed: .*for.*not closed/,
    );
    const again = await renderer.render("comment", failed, broken);
    expect(again.warning).toBe(first.warning);
    expect(broken.loads).toBe(1);

    const warnings: string[] = [];
    const body = await commentBody(failed, renderer, { comment: broken }, (w) => warnings.push(w));
    expect(warnings).toEqual([first.warning]);
    expect(body).toContain(`> [!WARNING]\n> ${first.warning}`);
    const output = await checkRunOutput(failed, renderer, {
      "check-run": { ...broken, path: "x/check-run.md" },
    });
    expect(output.warnings).toEqual([expect.stringMatching(/^x\/check-run\.md cannot be parsed/)]);
    expect(output.summary).toContain("| &nbsp;&nbsp;✅ compile | succeeded | 3 (2 retry)");

    const unreadable = await renderer.render("comment", failed, {
      sha: "gone",
      load: () => Promise.reject(new Error("404 Not Found")),
    });
    expect(unreadable).toMatchObject({
      source: "builtin",
      warning:
        "repository template comment.md could not be read (404 Not Found); the built-in template was used",
    });
  });

  it("an override that renders cleanly is used, with the view's data and the safe filters", async () => {
    const out = await createRenderer().render(
      "comment",
      failed,
      override(
        "ok",
        "{{ emoji }} {{ workflow }}: {% for s in stages %}{{ s.id }}={{ s.status }} {% endfor %}{{ error | code }}",
      ),
    );
    expect(out).toEqual({
      text: "❌ release: build=succeeded ship=failed `upload rejected: token *** expired | see https://example.com`\n",
      source: "override",
    });
  });
});

describe("GitHub's limits", () => {
  const huge =
    "{% for i in (1..3000) %}line {{ i }} of run {{ runId }}, padded out to be long enough\n{% endfor %}";

  it("the comment body leaves room for the marker within 65,536 characters, cut at a line with a note", async () => {
    const renderer = createRenderer();
    const body = await commentBody(failed, renderer, { comment: override("huge", huge) });
    const posted = `${body}\n\n${commentMarker(failed.runId)}`;
    expect(posted.length).toBeLessThanOrEqual(COMMENT_LIMIT);
    expect(posted.length).toBeGreaterThan(COMMENT_LIMIT - 500);
    const lines = body.split("\n");
    expect(lines.at(-1)).toBe(
      "> ✂️ Cut here to stay within GitHub's limit of 65,536 characters: the full report is at https://example.com/runs/1.",
    );
    // The last line kept is whole.
    expect(lines.at(-3)).toMatch(/^line \d+ of run [0-9a-f-]{36}, padded out to be long enough$/);
  });

  it("the check-run summary stays within 65,535 characters", async () => {
    const output = await checkRunOutput(failed, createRenderer(), {
      "check-run": override("huge", huge),
    });
    expect(output.summary.length).toBeLessThanOrEqual(SUMMARY_LIMIT);
    expect(output.summary).toContain("Cut here to stay within GitHub's limit of 65,535 characters");
  });

  it("fit: unchanged when it fits; otherwise cut at a line, an open code block closed, the note last", () => {
    expect(fit("short\n", 100, "NOTE")).toBe("short\n");
    const text = `intro\n\`\`\`\n${"x".repeat(50)}\n${"y".repeat(50)}\n${"z".repeat(50)}\n\`\`\`\n`;
    const cut = fit(text, 140, "NOTE");
    expect(cut.length).toBeLessThanOrEqual(140);
    expect(cut).toBe(`intro\n\`\`\`\n${"x".repeat(50)}\n${"y".repeat(50)}\n\`\`\`\n\nNOTE`);
  });

  it("a built-in template whose output passes the output limit is cut there, with a warning", async () => {
    const step = failed.stages[1]!.steps[0]!;
    const big: RunView = {
      ...failed,
      stages: [
        {
          ...failed.stages[1]!,
          steps: Array.from({ length: 300 }, (_, i) => ({ ...step, id: `s${i}`, error: "e".repeat(400) })),
        },
      ],
    };
    const out = await createRenderer({ limits: { outputLimit: 20_000 } }).render("check-run", big);
    expect(out.source).toBe("builtin");
    expect(out.warning).toBe(
      "built-in template check-run.md exceeded the output limit of 20000 characters: output cut",
    );
    expect(out.text.length).toBeLessThanOrEqual(20_001);
    expect(out.text).toContain("| &nbsp;&nbsp;❌ s0 | failed |");
  });

  it("the check run's output is a valid body of GitHub's create-check-run request", async () => {
    const output = await checkRunOutput(failed, createRenderer());
    const { warnings: _, ...fields } = output;
    const body = {
      name: `stageflow: ${failed.workflow}`,
      head_sha: "a".repeat(40),
      external_id: failed.runId,
      status: failed.checkStatus,
      conclusion: failed.conclusion,
      output: fields,
    };
    expect(checkRequest({ method: "POST", path: "/repos/octo/demo/check-runs", body })).toEqual([]);
    expect(
      checkRequest({ method: "POST", path: "/repos/octo/demo/check-runs", body: { ...body, bogus: 1 } }),
    ).not.toEqual([]);
  });

  it("at most 50 annotations per request, the rest noted in the summary", async () => {
    const many: RunView = {
      ...failed,
      annotations: Array.from({ length: 60 }, (_, i) => ({
        ...failed.annotations[0]!,
        start_line: i + 1,
        end_line: i + 1,
      })),
    };
    const output = await checkRunOutput(many, createRenderer());
    expect(output.annotations).toHaveLength(50);
    expect(output.summary).toContain(
      "10 more failed step(s) are not annotated (GitHub takes 50 per request).",
    );
  });
});
