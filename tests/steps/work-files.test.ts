import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { makeContext, type TestContext, processRunStep, waitFor } from "./context.js";

const runStep = processRunStep();

let current: TestContext | undefined;
afterEach(async () => {
  await current?.cleanup();
  current = undefined;
});

/** Prints a path's permission bits in octal (GNU stat, else BSD/macOS stat). */
const MODE = (p: string) => `$(stat -c %a "${p}" 2>/dev/null || stat -f %Lp "${p}")`;

describe("run step work files", () => {
  it("creates the run's scratch directory 0700 and the outputs file 0600, and removes the file after", async () => {
    current = await makeContext();
    const workDir = path.join(current.workDir, "run-1");
    const outputs = await runStep.execute({
      ...current.ctx,
      signal: current.controller.signal,
      workDir,
      config: [
        `echo "dir=${MODE('$(dirname "$STAGEFLOW_OUTPUT")')}" >> "$STAGEFLOW_OUTPUT"`,
        `echo "file=${MODE("$STAGEFLOW_OUTPUT")}" >> "$STAGEFLOW_OUTPUT"`,
      ].join("\n"),
    });
    expect(outputs).toEqual({ dir: "700", file: "600" });
    expect(readdirSync(workDir)).toEqual([]);
  });

  it("removes the outputs file of a failed command too, and keeps the step's lines with ctx.log", async () => {
    current = await makeContext();
    await expect(
      runStep.execute({
        ...current.ctx,
        signal: current.controller.signal,
        config: 'echo "to out"; echo "to err" >&2; exit 4',
      }),
    ).rejects.toThrow(/exit code 4/);
    expect(readdirSync(current.workDir)).toEqual([]);
    expect(current.output).toEqual([
      { stream: "stdout", line: "to out" },
      { stream: "stderr", line: "to err" },
    ]);
  });

  it("removes the outputs file, with what the command wrote in it, when the step is aborted mid-command", async () => {
    current = await makeContext({ inputs: { key: "hunter2-very-secret" } });
    const { ctx, controller, output, workDir } = current;
    const running = runStep.execute({
      ...ctx,
      config: 'echo "token=$INPUT_KEY" >> "$STAGEFLOW_OUTPUT"; echo written; sleep 30',
    });
    await waitFor(() => output.find((o) => o.line === "written"));
    const [file] = readdirSync(workDir);
    expect(readFileSync(path.join(workDir, file as string), "utf8")).toBe("token=hunter2-very-secret\n");
    controller.abort(new Error("cancelled by the test"));
    await expect(running).rejects.toThrow("cancelled by the test");
    expect(readdirSync(workDir)).toEqual([]);
  });

  it("removes the outputs file when the command cannot start (no such working directory)", async () => {
    current = await makeContext();
    await expect(
      runStep.execute({ ...current.ctx, config: "true", with: { working_directory: "./no-such-dir" } }),
    ).rejects.toThrow(/is not a directory/);
    expect(readdirSync(current.workDir)).toEqual([]);
  });
});
