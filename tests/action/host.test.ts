import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runAction } from "../../src/action/host.js";
import type { ActionJournal, ActionOutput, AnnotationProps } from "../../src/action/ports.js";
import { createSqliteJournal } from "../../src/sqlite.js";

interface Recorded {
  lines: string[];
  outputs: Record<string, string>;
  secrets: string[];
  errors: { message: string; props?: AnnotationProps }[];
  warnings: string[];
  failed: string[];
  summary: string[];
}

function recorder(): { out: ActionOutput; rec: Recorded } {
  const rec: Recorded = { lines: [], outputs: {}, secrets: [], errors: [], warnings: [], failed: [], summary: [] };
  const out: ActionOutput = {
    info: (m) => rec.lines.push(m),
    warning: (m) => rec.warnings.push(m),
    error: (message, props) => rec.errors.push({ message, ...(props ? { props } : {}) }),
    notice: (m) => rec.lines.push(m),
    setFailed: (m) => rec.failed.push(m),
    setOutput: (n, v) => (rec.outputs[n] = v),
    setSecret: (v) => rec.secrets.push(v),
    startGroup: (n) => rec.lines.push(`::group::${n}`),
    endGroup: () => rec.lines.push("::endgroup::"),
    writeSummary: async (md) => void rec.summary.push(md),
  };
  return { out, rec };
}

let ws: string;
beforeEach(() => {
  ws = mkdtempSync(join(tmpdir(), "sf-action-"));
});
afterEach(() => rmSync(ws, { recursive: true, force: true }));

const WORKFLOW = `name: two-stages
inputs:
  who: { type: string, default: world }
  token: { type: string, secret: true, default: "" }
stages:
  - id: build
    steps:
      - id: hello
        run: echo "hello \${{ inputs.who }}"
  - id: test
    steps:
      - id: check
        run: exit \${{ inputs.who == 'fail' && 3 || 0 }}
`;

type OpenJournal = (path: string, durability: "process" | "machine") => ActionJournal;
const openSqlite: OpenJournal = (path, durability) => createSqliteJournal({ path, durability }) as unknown as ActionJournal;

async function act(env: Record<string, string>, files: Record<string, string> = { "flow.yml": WORKFLOW }, openJournal = openSqlite) {
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(ws, name)), { recursive: true });
    writeFileSync(join(ws, name), text);
  }
  const { out, rec } = recorder();
  const result = await runAction({
    env: {
      GITHUB_WORKSPACE: ws,
      RUNNER_TEMP: join(ws, "tmp"),
      GITHUB_RUN_ID: "42",
      GITHUB_RUN_ATTEMPT: "1",
      GITHUB_JOB: "build",
      GITHUB_REPOSITORY: "octo/repo",
      INPUT_WORKFLOW: "flow.yml",
      INPUT_CHECKPOINT: "off",
      PATH: process.env.PATH ?? "",
      ...env,
    },
    cwd: ws,
    out,
    openJournal,
    verifySnapshot: () => {},
  });
  return { result, rec };
}

describe("the Action's host", () => {
  it("runs the workflow: outputs, one log group per stage, a job summary, masked secret inputs", async () => {
    const { result, rec } = await act({ INPUT_INPUTS: "who: octocat\ntoken: s3cr3t-value-123" });
    expect(result).toMatchObject({ status: "succeeded", failed: false });
    expect(rec.outputs.status).toBe("succeeded");
    expect(rec.outputs["run-id"]).toBe(result.runId);
    expect(rec.outputs.summary).toContain("hello");
    expect(rec.lines.filter((l) => l.startsWith("::group::"))).toEqual(["::group::stage build", "::group::stage test"]);
    expect(rec.lines).toContain("✔ hello");
    expect(rec.secrets).toContain("s3cr3t-value-123");
    expect(rec.summary.join("")).toMatch(/build[\s\S]*test/);
    expect(rec.summary.join("")).not.toContain("s3cr3t-value-123");
    expect(rec.failed).toEqual([]);
  });

  it("fails the step with an annotation at the failed step's line", async () => {
    const { result, rec } = await act({ INPUT_INPUTS: '{"who": "fail"}' });
    expect(result).toMatchObject({ status: "failed", failed: true });
    const annotation = rec.errors.find((e) => e.props?.title?.includes("check"));
    expect(annotation?.props).toMatchObject({ file: "flow.yml", startLine: 12 });
    expect(rec.failed[0]).toMatch(/failed/);
  });

  it("annotates a workflow with errors at their lines and runs nothing", async () => {
    const broken = WORKFLOW.replace("run: echo", "rnu: echo");
    const { result, rec } = await act({}, { "flow.yml": broken });
    expect(result).toMatchObject({ status: "invalid", runId: null });
    expect(rec.errors[0]?.props).toMatchObject({ file: "flow.yml", startLine: 9 });
    expect(rec.failed[0]).toContain("flow.yml is not a valid stageflow workflow");
    expect(rec.outputs.status).toBe("invalid");
  });

  it("names the input that is wrong", async () => {
    expect((await act({ INPUT_WORKFLOW: "missing.yml" })).rec.failed[0]).toMatch(/input 'workflow': cannot read missing.yml \(no such file/);
    expect((await act({ INPUT_INPUTS: "[1, 2]" })).rec.failed[0]).toMatch(/input 'inputs': expected a mapping/);
    expect((await act({ INPUT_INPUTS: "who: [unclosed" })).rec.failed[0]).toMatch(/input 'inputs': not YAML or JSON/);
    expect((await act({ INPUT_INPUTS: "whom: x" })).rec.failed[0]).toMatch(/input 'inputs': .*whom/);
    expect((await act({ "INPUT_FAIL-ON": "sometimes" })).rec.failed[0]).toMatch(/input 'fail-on': expected 'failure' or 'degraded'/);
    expect((await act({ INPUT_WORKFLOW: "" })).rec.failed[0]).toMatch(/input 'workflow': required/);
  });

  it("the key input tells apart runs of one job with the same file and inputs (matrix legs)", async () => {
    const linux = await act({ INPUT_KEY: "ubuntu-latest" });
    const mac = await act({ INPUT_KEY: "macos-latest" });
    expect(linux.result.status).toBe("succeeded");
    expect(mac.result.status).toBe("succeeded");
    expect(mac.result.runId).not.toBe(linux.result.runId);
    expect(mac.rec.lines).toContain("✔ hello"); // ran, not found already done
    const again = await act({ INPUT_KEY: "macos-latest" });
    expect(again.result.runId).toBe(mac.result.runId);
    expect(again.rec.lines.join("\n")).toMatch(/already succeeded/);
    expect((await act({ INPUT_KEY: "a\nb" })).rec.failed[0]).toMatch(/input 'key': expected one line/);
  });

  it("a secret input that is wrong: named in the error, its value masked first and shown nowhere", async () => {
    const flow = "name: pin\ninputs:\n  pin: { type: number, secret: true }\nstages:\n  - id: a\n    steps:\n      - id: s\n        run: echo ok\n";
    const { result, rec } = await act({ INPUT_INPUTS: "pin: hunter2-secret" }, { "flow.yml": flow });
    expect(result).toMatchObject({ status: "invalid", failed: true });
    expect(rec.outputs.status).toBe("invalid");
    expect(rec.failed).toEqual(["input 'inputs': input 'pin': expected a number, got a secret string (not shown)"]);
    expect(rec.secrets).toContain("hunter2-secret");
    const shown = [...rec.lines, ...rec.warnings, ...rec.failed, ...rec.errors.map((e) => e.message), ...rec.summary, ...Object.values(rec.outputs)];
    expect(shown.filter((text) => text.includes("hunter2"))).toEqual([]);
  });

  it("a long key and a long workflow path still make a short run key (action: and 32 hex digits)", async () => {
    const path = `${"deep-directory-name-".repeat(5)}/`.repeat(5) + "flow.yml"; // 513 characters
    const key = "k".repeat(100); // the longest the key input allows
    const first = await act({ INPUT_WORKFLOW: path, INPUT_KEY: key }, { [path]: WORKFLOW });
    expect(first.rec.failed).toEqual([]);
    expect(first.result.status).toBe("succeeded");
    const journal = createSqliteJournal({ path: join(ws, "tmp", "stageflow", "state.db") });
    try {
      expect((await journal.listRuns({})).map((r) => r.key)).toEqual([expect.stringMatching(/^action:[0-9a-f]{32}$/)]);
    } finally {
      await journal.close();
    }
    const again = await act({ INPUT_WORKFLOW: path, INPUT_KEY: key }, { [path]: WORKFLOW });
    expect(again.result.runId).toBe(first.result.runId); // the same key: the same run
    const otherLeg = await act({ INPUT_WORKFLOW: path, INPUT_KEY: `${"k".repeat(99)}j` }, { [path]: WORKFLOW });
    expect(otherLeg.result.runId).not.toBe(first.result.runId);
  });

  it("a failure after the journal is open still fails the step and sets status", async () => {
    const failing: OpenJournal = (path, durability) => {
      const journal = openSqlite(path, durability);
      return Object.assign(journal, { listRuns: () => Promise.reject(new Error("disk I/O error")) });
    };
    const { result, rec } = await act({}, undefined, failing);
    expect(result).toMatchObject({ status: "failed", failed: true });
    expect(rec.outputs.status).toBe("failed");
    expect(rec.failed).toEqual([expect.stringMatching(/^stageflow.*: disk I\/O error$/)]);
  });

  it("comment: true without a token or a pull request writes no comment and says why", async () => {
    const noPr = await act({ INPUT_COMMENT: "true", "INPUT_GITHUB-TOKEN": "ghs_abcdefghijklmnop" });
    expect(noPr.rec.lines.join("\n")).toMatch(/does not run for a pull request/);
    expect(noPr.rec.secrets).toContain("ghs_abcdefghijklmnop");
    writeFileSync(join(ws, "event.json"), JSON.stringify({ pull_request: { number: 7 } }));
    const noToken = await act({ INPUT_COMMENT: "true", GITHUB_RUN_ID: "43", GITHUB_EVENT_PATH: join(ws, "event.json") });
    expect(noToken.rec.warnings.join("\n")).toMatch(/needs `github-token`/);
    expect(noToken.result.status).toBe("succeeded");
  });
});
