import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { RunStepError } from "../../src/steps/errors.js";
import { rewriteCommand } from "../../src/steps/run-template.js";
import { makeContext, type TestContext, waitFor, processRunStep } from "./context.js";

const runStep = processRunStep();

let current: TestContext | undefined;
afterEach(async () => {
  await current?.cleanup();
  current = undefined;
});

/** Alive and not a zombie (an orphan may wait for a reaper that a container's pid 1 never runs). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const stat = existsSync(`/proc/${pid}/stat`) ? readFileSync(`/proc/${pid}/stat`, "utf8") : "";
  return !/^\d+ \(.*\) Z/.test(stat);
}

function loggedNumber(t: TestContext, prefix: string): Promise<number> {
  return waitFor(() => {
    const line = t.logs.find((l) => l.msg.startsWith(prefix));
    return line ? Number(line.msg.slice(prefix.length)) : undefined;
  });
}

describe("run step: expressions are data, never command text", () => {
  const hostile = {
    "inputs.a": "$(touch PWNED)",
    "inputs.b": '"; touch PWNED2; echo "',
    "inputs.c": "`touch PWNED3`",
    "inputs.d": "'; touch PWNED4; echo '",
  };

  it("rewrites each distinct expression into one environment variable", () => {
    const seen: string[] = [];
    const { command, env } = rewriteCommand("echo ${{ a }} ${{a}} '${{ \"}}\" }}' ${{ b }}", (e) => {
      seen.push(e);
      return e === "b" ? { x: [1] } : e === "a" ? 7 : null;
    });
    expect(command).toBe(
      "echo ${STAGEFLOW_EXPR_0} ${STAGEFLOW_EXPR_0} '${STAGEFLOW_EXPR_1}' ${STAGEFLOW_EXPR_2}",
    );
    expect(env).toEqual({ STAGEFLOW_EXPR_0: "7", STAGEFLOW_EXPR_1: "", STAGEFLOW_EXPR_2: '{"x":[1]}' });
    expect(seen).toEqual(["a", '"}}"', "b"]);
  });

  it("hostile values reach the command literally and create no files", async () => {
    current = await makeContext({ values: hostile });
    const dir = current.workDir;
    current.ctx.with = { working_directory: dir };
    current.ctx.config = [
      'echo "a=${{ inputs.a }}" >> "$STAGEFLOW_OUTPUT"',
      'echo "b=${{ inputs.b }}" >> "$STAGEFLOW_OUTPUT"',
      'echo "c=${{ inputs.c }}" >> "$STAGEFLOW_OUTPUT"',
      'echo "d=${{ inputs.d }}" >> "$STAGEFLOW_OUTPUT"',
      "echo ${{ inputs.a }} ${{ inputs.c }}",
      "echo ${{ inputs.b }}",
    ].join("\n");
    const outputs = await runStep.execute(current.ctx);
    expect(outputs).toEqual({
      a: hostile["inputs.a"],
      b: hostile["inputs.b"],
      c: hostile["inputs.c"],
      d: hostile["inputs.d"],
    });
    const stdout = current.logs.filter((l) => l.level === "info").map((l) => l.msg);
    expect(stdout).toEqual(["$(touch PWNED) `touch PWNED3`", '"; touch PWNED2; echo "']);
    for (const name of ["PWNED", "PWNED2", "PWNED3", "PWNED4"]) {
      expect(existsSync(path.join(dir, name))).toBe(false);
      expect(existsSync(path.join(process.cwd(), name))).toBe(false);
    }
  });
});

describe("run step: abort", () => {
  it("kills the whole process group and rejects with the signal's reason", async () => {
    current = await makeContext({ config: 'sleep 30 & echo "bg $!"; echo "leader $$"; sleep 30' });
    const t = current;
    const pending = runStep.execute(t.ctx);
    pending.catch(() => {});
    const bg = await loggedNumber(t, "bg ");
    const leader = await loggedNumber(t, "leader ");
    expect(isAlive(bg)).toBe(true);
    const reason = new Error("step timed out");
    const started = Date.now();
    t.controller.abort(reason);
    await expect(pending).rejects.toBe(reason);
    expect(Date.now() - started).toBeLessThan(1500);
    await waitFor(() => (!isAlive(bg) && !isAlive(leader) ? true : undefined), 2000);
  });

  it("escalates to SIGKILL after the grace period when SIGTERM is ignored", async () => {
    const step = processRunStep({ killGraceMs: 300 });
    current = await makeContext({ config: "trap '' TERM; sleep 30 & echo \"bg $!\"; sleep 30" });
    const t = current;
    const pending = step.execute(t.ctx);
    pending.catch(() => {});
    const bg = await loggedNumber(t, "bg ");
    const started = Date.now();
    t.controller.abort(new Error("cancelled"));
    await expect(pending).rejects.toThrow("cancelled");
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    await waitFor(() => (!isAlive(bg) ? true : undefined), 2000);
  });

  it("does not start the command when already aborted", async () => {
    current = await makeContext({ config: 'touch "$STAGEFLOW_OUTPUT.started"' });
    const reason = new Error("too late");
    current.controller.abort(reason);
    await expect(runStep.execute(current.ctx)).rejects.toBe(reason);
    expect(existsSync(path.join(current.workDir, "step-1-1.out.started"))).toBe(false);
  });

  it("reports a command killed by a signal as signal_<SIG>", async () => {
    current = await makeContext({ config: "kill -KILL $$" });
    const error = await runStep.execute(current.ctx).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RunStepError);
    expect(error).toMatchObject({ code: "signal_SIGKILL", signal: "SIGKILL", exitCode: null });
  });

  it("does not wait for background processes left behind by a finished command: it stops them", async () => {
    current = await makeContext({
      config: 'sleep 30 & echo "bg $!"; echo "done=yes" >> "$STAGEFLOW_OUTPUT"',
    });
    const started = Date.now();
    await expect(runStep.execute(current.ctx)).resolves.toEqual({ done: "yes" });
    expect(Date.now() - started).toBeLessThan(5000);
    const bg = await loggedNumber(current, "bg ");
    expect(isAlive(bg)).toBe(false);
  });
});
