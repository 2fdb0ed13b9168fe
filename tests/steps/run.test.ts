import { mkdirSync, realpathSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { SecretMasker } from "../../src/engine/secrets/index.js";
import { RunStepError } from "../../src/steps/errors.js";
import { OutputFileError } from "../../src/steps/output-file.js";
import { createRunStep } from "../../src/steps/run.js";
import { secretFragments } from "../support/fragments.js";
import { type ContextOptions, makeContext, type TestContext, processRunStep } from "./context.js";

const runStep = processRunStep();

let current: TestContext | undefined;
afterEach(async () => {
  await current?.cleanup();
  current = undefined;
});

async function run(command: string, options: ContextOptions = {}) {
  current = await makeContext({ config: command, ...options });
  return runStep.execute(current.ctx);
}

describe("run step", () => {
  it("reads name=value outputs from $STAGEFLOW_OUTPUT", async () => {
    const outputs = await run(
      'echo "version=1.2.3" >> "$STAGEFLOW_OUTPUT"; echo "empty=" >> "$STAGEFLOW_OUTPUT"',
    );
    expect(outputs).toEqual({ version: "1.2.3", empty: "" });
  });

  it("reads heredoc multi-line outputs", async () => {
    const outputs = await run(
      [
        "{",
        '  echo "notes<<EOF"',
        '  printf "line 1\\nline=2\\n"',
        '  echo "EOF"',
        '} >> "$STAGEFLOW_OUTPUT"',
      ].join("\n"),
    );
    expect(outputs).toEqual({ notes: "line 1\nline=2" });
  });

  it("passes ctx.env, INPUT_* and the STAGEFLOW_* variables to the command", async () => {
    const outputs = await run(
      [
        'echo "greeting=$GREETING" >> "$STAGEFLOW_OUTPUT"',
        'echo "version=$INPUT_VERSION" >> "$STAGEFLOW_OUTPUT"',
        'echo "dry=$INPUT_DRY_RUN" >> "$STAGEFLOW_OUTPUT"',
        'echo "obj=$INPUT_CFG" >> "$STAGEFLOW_OUTPUT"',
        'echo "none=$INPUT_NOTHING" >> "$STAGEFLOW_OUTPUT"',
        'echo "ids=$STAGEFLOW_RUN_ID|$STAGEFLOW_STEP_ID|$STAGEFLOW_ATTEMPT" >> "$STAGEFLOW_OUTPUT"',
        'echo "key=$STAGEFLOW_IDEMPOTENCY_KEY" >> "$STAGEFLOW_OUTPUT"',
      ].join("\n"),
      {
        env: { GREETING: "hello world" },
        inputs: { version: "1.2.3", "dry-run": true, cfg: { a: 1 }, nothing: null },
        runId: "r-42",
        stepId: "deploy",
        attempt: 3,
        idempotencyKey: "r-42/deploy",
      },
    );
    expect(outputs).toEqual({
      greeting: "hello world",
      version: "1.2.3",
      dry: "true",
      obj: '{"a":1}',
      none: "",
      ids: "r-42|deploy|3",
      key: "r-42/deploy",
    });
  });

  it("starts from the host's environment only, never the process's, with the step's env on top", async () => {
    const step = createRunStep({
      cwd: process.cwd(),
      env: { PATH: process.env.PATH, ONLY_HERE: "1", B: "host" },
    });
    current = await makeContext({
      config: 'echo "only=$ONLY_HERE home=$HOME b=$B" >> "$STAGEFLOW_OUTPUT"',
      env: { B: "step" },
    });
    expect(process.env.HOME).toBeTruthy();
    await expect(step.execute(current.ctx)).resolves.toEqual({ only: "1 home= b=step" });
  });

  it("runs in the host's directory, and resolves a relative with.working_directory against it", async () => {
    current = await makeContext({ config: 'echo "dir=$(pwd -P)" >> "$STAGEFLOW_OUTPUT"' });
    const host = realpathSync(current.workDir);
    mkdirSync(path.join(host, "sub"));
    const step = createRunStep({ cwd: host, env: process.env });
    expect(process.cwd()).not.toBe(host);
    await expect(step.execute(current.ctx)).resolves.toEqual({ dir: host });
    current.ctx.with = { working_directory: "sub" };
    await expect(step.execute(current.ctx)).resolves.toEqual({ dir: path.join(host, "sub") });
  });

  it("writes a fresh outputs file per execution under workDir", async () => {
    const cmd = 'echo "file=$STAGEFLOW_OUTPUT" >> "$STAGEFLOW_OUTPUT"';
    const first = await run(cmd, { stepId: "build", attempt: 2 });
    const dir = current?.workDir;
    const second = await runStep.execute((current as TestContext).ctx);
    const name = new RegExp(`^${dir}/build-2-[0-9a-f]{8}\\.out$`);
    expect(first?.file).toMatch(name);
    expect(second?.file).toMatch(name);
    // The same attempt run again (after a crash) never shares a file with an orphaned first run.
    expect(second?.file).not.toBe(first?.file);
  });

  it("throws RunStepError exit_3 with the stderr tail", async () => {
    const error = await run(
      'echo "first" >&2; for i in $(seq 1 30); do echo "err $i" >&2; done; exit 3',
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RunStepError);
    const e = error as RunStepError;
    expect(e.name).toBe("RunStepError");
    expect(e.code).toBe("exit_3");
    expect(e.exitCode).toBe(3);
    expect(e.message).toMatch(/^command failed with exit code 3: err 11\n/);
    expect(e.message).toContain("err 30");
    expect(e.message).not.toContain("first");
  });

  it("masks the run's secrets in the stderr tail before cutting it to 4 KB", async () => {
    const secret = "Zq8-SECRETPART-0123456789-TAILPART";
    // Unmasked, the tail's last 4096 characters of this line would begin inside the secret.
    const error = await run('printf "%s%4080s\\n" "$INPUT_KEY" "" | tr " " y >&2; exit 3', {
      inputs: { key: secret },
      secrets: new SecretMasker([secret]),
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RunStepError);
    const e = error as RunStepError;
    expect(e.message).toMatch(/^command failed with exit code 3: \*\*\*y{4080}$/);
    expect(secretFragments(secret, e.message)).toEqual([]);
  });

  it("fails on the first failing command and in pipelines (bash -e -o pipefail)", async () => {
    await expect(run("false | cat; echo unreachable >&2")).rejects.toMatchObject({ code: "exit_1" });
  });

  it("streams stdout as info and stderr as warn lines with the step id", async () => {
    await run('echo "out line"; echo "err line" >&2', { stepId: "s9" });
    expect(current?.logs).toContainEqual({ level: "info", msg: "out line", fields: { step: "s9" } });
    expect(current?.logs).toContainEqual({ level: "warn", msg: "err line", fields: { step: "s9" } });
  });

  it("names the line of a malformed outputs file", async () => {
    const error = await run('printf "ok=1\\n\\nnot an output\\n" >> "$STAGEFLOW_OUTPUT"').catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(OutputFileError);
    expect((error as Error).message).toMatch(/line 3/);
  });

  it("masks the run's secrets in what it quotes of a malformed outputs file before clipping it", async () => {
    const secret = "Zq8-SECRETPART-0123456789-TAILPART";
    // The quote is clipped at 77 characters: 70 before the secret, so the clip would cut it.
    const error = await run('printf "%70s%s\\n" "" "$INPUT_KEY" | tr " " y >> "$STAGEFLOW_OUTPUT"', {
      inputs: { key: secret },
      secrets: new SecretMasker([secret]),
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OutputFileError);
    expect((error as Error).message).toBe(
      `$STAGEFLOW_OUTPUT line 1: expected name=value or name<<DELIMITER, got "${"y".repeat(70)}***"`,
    );
    expect(secretFragments(secret, (error as Error).message)).toEqual([]);
  });

  it("honours with.working_directory and with.shell", async () => {
    current = await makeContext({ config: "pwd" });
    const dir = current.workDir;
    current.ctx.with = { working_directory: dir, shell: "sh" };
    await runStep.execute(current.ctx);
    expect(current.logs.map((l) => l.msg)).toContain(dir);
  });

  it("rejects a missing working directory clearly", async () => {
    await expect(run("true", { with: { working_directory: "/nonexistent/stageflow" } })).rejects.toThrow(
      /working_directory '\/nonexistent\/stageflow' is not a directory/,
    );
  });

  it("validates the command and with: options", () => {
    expect(runStep.rawConfig).toBe(true);
    expect(runStep.validate?.("echo ok", {})).toEqual([]);
    expect(runStep.validate?.("", {})).toEqual([["", "must be a non-empty command string"]]);
    expect(runStep.validate?.({ cmd: "x" }, {})).toHaveLength(1);
    expect(runStep.validate?.("echo ${{ inputs.x", {})?.[0]?.[1]).toMatch(/unterminated/);
    expect(runStep.validate?.("echo ok", { shell: "zsh", working_directory: 3 })).toEqual([
      ["with.shell", "must be one of bash, sh"],
      ["with.working_directory", "must be a non-empty path"],
    ]);
    expect(runStep.dependency?.("echo ok", {})).toBeUndefined();
  });
});

describe("run: with values", () => {
  it("passes `with:` keys other than its own options as WITH_<NAME> variables", async () => {
    const outputs = await run('echo "mirror=$WITH_MIRROR_URL" >> "$STAGEFLOW_OUTPUT"', {
      with: { "mirror-url": "https://mirror-b.example.com", shell: "bash" },
    });
    expect(outputs).toMatchObject({ mirror: "https://mirror-b.example.com" });
  });
});
