/**
 * The built Action run as a runner runs it: the committed files of HEAD (`git archive`), `node
 * action/main.mjs` under Node 24, the runner's environment and files, the artifact service
 * answered at its HTTP boundary by a loopback server that the real @actions/artifact client talks
 * to. Steps leave side effects in files, so "not run again" is checked from their side too.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { checkpointKey } from "../../src/action/host.js";
import { createSqliteJournal } from "../../src/sqlite.js";
import { checkoutAction, type RunnerOptions, runActionOnce, runnerLines, startAction } from "../support/action-runner.js";
import { type ArtifactService, startArtifactService } from "../support/artifact-service.js";
import { startFakeGitHub } from "../support/fake-github.js";

const WORKFLOW = `name: rerun
inputs:
  token: { type: string, secret: true, default: "" }
stages:
  - id: one
    steps:
      - id: first
        run: echo "ran $GITHUB_RUN_ATTEMPT" >> "$SIDE/one.log"
  - id: two
    steps:
      - id: second
        run: |
          echo "ran $GITHUB_RUN_ATTEMPT" >> "$SIDE/two.log"
          if [ "$GITHUB_RUN_ATTEMPT" = "1" ] && [ -f "$SIDE/hold" ]; then
            touch "$SIDE/in-two"
            while [ ! -f "$SIDE/release" ]; do sleep 0.05; done
          fi
          if [ -f "$SIDE/fail" ]; then echo "second: broken on purpose" >&2; exit 4; fi
`;

let action: string;
let service: ArtifactService;
let root: string;
let ws: string;
let side: string;
let runId = 5000;

beforeAll(async () => {
  action = checkoutAction();
  service = await startArtifactService();
});
afterAll(async () => {
  await service?.close();
  rmSync(action, { recursive: true, force: true });
});
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "sf-action-e2e-"));
  ws = join(root, "ws");
  side = join(root, "side");
  mkdirSync(ws);
  mkdirSync(side);
  writeFileSync(join(ws, "flow.yml"), WORKFLOW);
  runId++;
  return () => {
    writeFileSync(join(side, "release"), ""); // never leave a step waiting
    rmSync(root, { recursive: true, force: true });
  };
});

function runner(attempt: number, more: Partial<RunnerOptions> = {}): RunnerOptions {
  return {
    action,
    workspace: ws,
    runnerTemp: join(root, `runner-${attempt}`), // a new machine per attempt
    inputs: { workflow: "flow.yml", ...more.inputs },
    env: {
      SIDE: side,
      GITHUB_RUN_ID: String(runId),
      GITHUB_RUN_ATTEMPT: String(attempt),
      ...service.runtimeEnv({ runBackendId: `run-${runId}`, jobBackendId: `job-${runId}-${attempt}` }),
      ...more.env,
    },
    ...(more.onStdout ? { onStdout: more.onStdout } : {}),
  };
}

const lines = (file: string) => (existsSync(join(side, file)) ? readFileSync(join(side, file), "utf8").trim().split("\n") : []);
const checkpoints = () => service.artifacts({ runBackendId: `run-${runId}` }).map((a) => a.name);

function until(what: string, test: () => boolean, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const tick = () => {
      if (test()) resolve();
      else if (Date.now() > deadline) reject(new Error(`timed out waiting for ${what}`));
      else setTimeout(tick, 25);
    };
    tick();
  });
}

/** The journal inside the latest checkpoint artifact, opened read-only. */
function snapshotOf(name: string) {
  const files = service.files(name, `run-${runId}`);
  expect(files.size).toBe(1);
  const file = join(root, `${name}.db`);
  writeFileSync(file, [...files.values()][0]!);
  return createSqliteJournal({ path: file, readOnly: true });
}

describe("the Action, as a runner runs it (Node 24, committed files only)", () => {
  it("runs the workflow: outputs, job summary, log groups, masked secrets, a checkpoint per stage", async () => {
    const run = await runActionOnce(runner(1, { inputs: { workflow: "flow.yml", inputs: "token: hunter2-secret-value" } }));
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.outputs.status).toBe("succeeded");
    expect(run.outputs["run-id"]).toMatch(/^[0-9a-f-]{36}$/);
    expect(run.outputs.grade).toMatch(/^[A-F]$/);
    expect(run.outputs.summary).toContain("rerun succeeded");
    expect(run.summary).toContain("| ✅ **one** | succeeded");
    expect(run.summary).toMatch(/Performance: grade [A-F]/);
    const groups = run.commands.filter((c) => c.command === "group").map((c) => c.message);
    expect(groups).toEqual(["stage one", "stage two"]);
    expect(run.commands).toContainEqual({ command: "add-mask", props: {}, message: "hunter2-secret-value" });
    expect(run.summary + run.outputs.summary).not.toContain("hunter2-secret-value");
    expect(lines("one.log")).toEqual(["ran 1"]);

    // One checkpoint kept per attempt (each upload replaces the previous one): the end of the run.
    const names = checkpoints();
    expect(names).toHaveLength(1);
    expect(names[0]).toMatch(/^stageflow-build-[0-9a-f]{10}-a1-\d+$/);
    const journal = snapshotOf(names[0]!);
    try {
      const [recorded] = await journal.listRuns({});
      expect(recorded).toMatchObject({ id: run.outputs["run-id"], status: "succeeded" });
      expect((await journal.listCheckpoints(recorded!.id)).map((c) => c.stepId).sort()).toEqual(["first", "second"]);
    } finally {
      await journal.close();
    }
  });

  it("a failed step: an ::error annotation at its line, status failed, exit 1", async () => {
    writeFileSync(join(side, "fail"), "");
    const run = await runActionOnce(runner(1));
    expect(run.code).toBe(1);
    expect(run.outputs.status).toBe("failed");
    const annotation = run.commands.find((c) => c.command === "error" && c.props.title?.includes("second"));
    expect(annotation?.props).toMatchObject({ file: "flow.yml", line: "11" });
    expect(annotation?.message).toContain("second: broken on purpose");
    expect(run.commands.some((c) => c.command === "error" && /stageflow run .* failed/.test(c.message))).toBe(true);
  });

  it("re-run after attempt 1 was SIGKILLed in stage 2: stage 1's step is not run again", async () => {
    writeFileSync(join(side, "hold"), "");
    const first = startAction(runner(1));
    await until("stage two running with stage one's checkpoint uploaded", () => existsSync(join(side, "in-two")) && checkpoints().some((n) => n.includes("-a1-")));
    first.kill("SIGKILL");
    const killed = await first.done;
    expect(killed.signal).toBe("SIGKILL");
    writeFileSync(join(side, "release"), "");
    rmSync(join(side, "hold"));

    const second = await runActionOnce(runner(2));
    expect(second.code).toBe(0);
    expect(second.outputs.status).toBe("succeeded");
    expect(second.stdout).toMatch(/Restored checkpoint stageflow-build-[0-9a-f]{10}-a1-\d+/);
    expect(second.stdout).toContain("Resuming run");
    expect(second.outputs["run-id"]).toBe(killed.outputs["run-id"]);
    expect(lines("one.log")).toEqual(["ran 1"]); // not again
    expect(lines("two.log")).toEqual(["ran 1", "ran 2"]); // interrupted, so run again
    expect(checkpoints().filter((n) => n.includes("-a2-"))).toHaveLength(1);
  });

  it("the runner cancels (SIGTERM): the run stops cleanly, a last checkpoint is uploaded, a re-run continues", async () => {
    writeFileSync(join(side, "hold"), "");
    const first = startAction(runner(1));
    await until("stage two running", () => existsSync(join(side, "in-two")));
    const before = service.requests.filter((r) => r.endpoint === "FinalizeArtifact").length;
    first.kill("SIGTERM");
    const stopped = await first.done;
    expect(stopped.code).toBe(1);
    expect(stopped.outputs.status).toBe("cancelled");
    expect(stopped.stdout).toMatch(/stopped because the job was cancelled/);
    expect(stopped.stdout).toMatch(/Checkpoint stageflow-build-\S+ uploaded \(cancellation\)/);
    expect(service.requests.filter((r) => r.endpoint === "FinalizeArtifact").length).toBeGreaterThan(before);
    writeFileSync(join(side, "release"), "");
    rmSync(join(side, "hold"));

    const second = await runActionOnce(runner(2));
    expect(second.outputs.status).toBe("succeeded");
    expect(lines("one.log")).toEqual(["ran 1"]);
  });

  it("a re-run under a changed workflow file blocks with a message, unless resume: restart", async () => {
    writeFileSync(join(side, "hold"), "");
    const first = startAction(runner(1));
    await until("stage two running with stage one's checkpoint uploaded", () => existsSync(join(side, "in-two")) && checkpoints().some((n) => n.includes("-a1-")));
    first.kill("SIGKILL");
    await first.done;
    writeFileSync(join(side, "release"), "");
    rmSync(join(side, "hold"));
    writeFileSync(join(ws, "flow.yml"), WORKFLOW.replace("echo \"ran $GITHUB_RUN_ATTEMPT\" >> \"$SIDE/one.log\"", "echo \"ran $GITHUB_RUN_ATTEMPT again\" >> \"$SIDE/one.log\""));

    const blocked = await runActionOnce(runner(2));
    expect(blocked.code).toBe(1);
    expect(blocked.outputs.status).toBe("blocked");
    const error = blocked.commands.find((c) => c.command === "error" && /changed since attempt/.test(c.message));
    expect(error?.message).toMatch(/flow.yml changed since attempt 1 .* set `resume: restart`/);
    expect(lines("one.log")).toEqual(["ran 1"]);

    const restarted = await runActionOnce(runner(3, { inputs: { workflow: "flow.yml", resume: "restart" } }));
    expect(restarted.outputs.status).toBe("succeeded");
    expect(restarted.outputs["run-id"]).not.toBe(blocked.outputs["run-id"]);
    expect(lines("one.log")).toEqual(["ran 1", "ran 3 again"]);
  });

  it("a re-run with a corrupted snapshot warns and starts over", async () => {
    writeFileSync(join(side, "fail"), "");
    expect((await runActionOnce(runner(1))).outputs.status).toBe("failed");
    rmSync(join(side, "fail"));
    service.corrupt(checkpoints()[0]!, `run-${runId}`);
    const second = await runActionOnce(runner(2));
    const warnings = second.commands.filter((c) => c.command === "warning").map((c) => c.message);
    expect(warnings.join("\n")).toMatch(/checkpoint of an earlier attempt was not used: .*(digest|sha256)/i);
    expect(second.outputs.status).toBe("succeeded");
    expect(lines("one.log")).toEqual(["ran 1", "ran 2"]); // started over
  });

  it("a re-run whose snapshot holds another job's journal warns and starts over", async () => {
    // A sound journal, uploaded under this job's checkpoint name, with a run of something else.
    const other = join(root, "other.db");
    const journal = createSqliteJournal({ path: other });
    await journal.close();
    const { createCheckpointStore } = await import("../../src/action/checkpoints.js");
    const saved = process.env;
    process.env = { ...saved, ...service.runtimeEnv({ runBackendId: `run-${runId}`, jobBackendId: `job-${runId}-1` }) };
    try {
      const store = createCheckpointStore({ job: "build", key: checkpointKey("build", "flow.yml", {}), attempt: 1 });
      await store.save(other, 1);
    } finally {
      process.env = saved;
    }
    const second = await runActionOnce(runner(2));
    const warnings = second.commands.filter((c) => c.command === "warning").map((c) => c.message);
    expect(warnings.join("\n")).toMatch(/holds no run of this job/);
    expect(second.outputs.status).toBe("succeeded");
  });

  it("the artifact service failing is a warning: a run whose steps succeeded succeeds", async () => {
    service.failNext("CreateArtifact", 403, 10);
    const run = await runActionOnce(runner(1));
    expect(run.code).toBe(0);
    expect(run.outputs.status).toBe("succeeded");
    expect(run.commands.filter((c) => c.command === "warning").map((c) => c.message).join("\n")).toMatch(/Checkpoint not uploaded/);
  });

  it("bad input: a syntax error is annotated at its line; a missing file and bad inputs are named", async () => {
    writeFileSync(join(ws, "flow.yml"), WORKFLOW.replace("      - id: second\n", "      - id: second\n        retyr: 3\n"));
    const broken = await runActionOnce(runner(1));
    expect(broken.code).toBe(1);
    const annotation = broken.commands.find((c) => c.command === "error" && c.props.file === "flow.yml");
    expect(annotation?.props.line).toBe("12");
    expect(annotation?.message).toMatch(/retyr/);
    expect(broken.outputs.status).toBe("invalid");

    writeFileSync(join(ws, "flow.yml"), WORKFLOW);
    const missing = await runActionOnce(runner(1, { inputs: { workflow: "nope.yml" } }));
    expect(missing.commands.find((c) => c.command === "error")?.message).toMatch(/input 'workflow': cannot read nope.yml \(no such file/);
    const inputs = await runActionOnce(runner(1, { inputs: { workflow: "flow.yml", inputs: "colour: blue" } }));
    expect(inputs.commands.find((c) => c.command === "error")?.message).toMatch(/input 'inputs': .*colour/);
  });

  it("a secret input with a bad value: the error names the input; the value is masked first and shown nowhere else", async () => {
    writeFileSync(join(ws, "pin.yml"), "name: pin\ninputs:\n  pin: { type: number, secret: true }\nstages:\n  - id: one\n    steps:\n      - id: s\n        run: echo ok\n");
    const run = await runActionOnce(runner(1, { inputs: { workflow: "pin.yml", inputs: "pin: hunter2-secret" } }));
    expect(run.code).toBe(1);
    expect(run.outputs.status).toBe("invalid");
    const errors = run.commands.filter((c) => c.command === "error").map((c) => c.message);
    expect(errors).toEqual(["input 'inputs': input 'pin': expected a number, got a secret string (not shown)"]);
    const stdout = runnerLines(run.stdout);
    expect(stdout.filter((line) => line.includes("hunter2"))).toEqual(["::add-mask::hunter2-secret"]);
    expect(stdout.indexOf("::add-mask::hunter2-secret")).toBeLessThan(stdout.findIndex((line) => line.startsWith("::error::")));
    expect(run.stderr + run.summary + Object.values(run.outputs).join("\n")).not.toContain("hunter2");
  });

  it("a step's error cannot forge a workflow command: the log shows it up to a lone \\r, where the runner ends a line", async () => {
    writeFileSync(
      join(ws, "forge.yml"),
      "name: forge\nstages:\n  - id: one\n    steps:\n      - id: boom\n        run: |\n          printf 'boom\\r::warning file=x::injected\\n' >&2\n          exit 1\n",
    );
    // Checkpoints off: only the step's text could bring a warning here.
    const run = await runActionOnce(runner(1, { inputs: { workflow: "forge.yml", checkpoint: "off" } }));
    expect(run.outputs.status).toBe("failed");
    const stdout = runnerLines(run.stdout);
    expect(stdout).toContain("✖ boom: command failed with exit code 1: boom");
    expect(stdout.filter((line) => line.startsWith("::warning"))).toEqual([]); // the Action means to print none here
    expect(run.commands.filter((c) => c.command === "warning")).toEqual([]);
    // The annotation carries the whole error, escaped into its one line.
    expect(run.commands.find((c) => c.command === "error" && c.props.title?.includes("boom"))?.message).toContain("boom\r::warning file=x::injected");
  });

  it("comment: true on a pull request upserts one comment through the GitHub API", async () => {
    const github = await startFakeGitHub({ owner: "octo-org", repo: "octo-repo" });
    try {
      const examples = (await import("@octokit/webhooks-examples/api.github.com/index.json", { with: { type: "json" } })).default as {
        name: string;
        examples: Record<string, unknown>[];
      }[];
      const payload = examples.find((e) => e.name === "pull_request")!.examples.find((p) => p.action === "opened")!;
      const number = (payload.pull_request as { number: number }).number;
      writeFileSync(join(root, "event.json"), JSON.stringify(payload));
      const env = { GITHUB_EVENT_NAME: "pull_request", GITHUB_EVENT_PATH: join(root, "event.json"), GITHUB_API_URL: github.baseUrl };
      const inputs = { workflow: "flow.yml", comment: "true", "github-token": "ghs_0123456789abcdefghij", inputs: "token: per-job-token-1" };
      const first = await runActionOnce(runner(1, { inputs, env }));
      expect(first.outputs.status).toBe("succeeded");
      expect(first.commands).toContainEqual({ command: "add-mask", props: {}, message: "ghs_0123456789abcdefghij" });
      runId++;
      // Another workflow run, with another value of the secret input: the comment is the same one.
      await runActionOnce(runner(1, { inputs: { ...inputs, inputs: "token: per-job-token-2" }, env }));
      const comments = [...github.comments.values()].filter((c) => c.issue === number);
      expect(comments).toHaveLength(1); // the second workflow run updated it
      expect(comments[0]!.body).toMatch(/\*\*rerun\*\* succeeded/);
      expect(github.problems).toEqual([]);
    } finally {
      await github.close();
    }
  });
});
