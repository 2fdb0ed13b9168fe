/**
 * The built-in step kinds are the host's choice: `run` exists only when the host passes the
 * directory and environment its commands get; `http` calls the host's fetch and times out on the
 * engine's clock. Through the package's exports only.
 */
import { mkdtemp, realpath, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  builtinSteps,
  compileWorkflow,
  createEngine,
  type FetchFunction,
  parseWorkflow,
  WorkflowError,
} from "stageflow";
import { FakeClock, MemoryJournal } from "stageflow/testing";
import { afterEach, describe, expect, it } from "vitest";

const RUN_WORKFLOW = [
  "name: shell",
  "stages:",
  "  - id: build",
  "    steps:",
  "      - id: where",
  '        run: printf "dir=%s\\nonly=%s\\nhome=%s\\n" "$(pwd -P)" "$ONLY_HOST" "$HOME" >> "$STAGEFLOW_OUTPUT"',
  "",
].join("\n");

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function tempDir(): Promise<string> {
  const dir = await realpath(await mkdtemp(path.join(tmpdir(), "stageflow-api-steps-")));
  dirs.push(dir);
  return dir;
}

function engineWith(steps: ReturnType<typeof builtinSteps>, clock = new FakeClock(), workDir?: string) {
  // No built-in recovery patterns: a timeout fails the run instead of being retried.
  const engine = createEngine({ journal: new MemoryJournal(), clock, workDir, defaultPatterns: false });
  for (const [kind, handler] of Object.entries(steps)) engine.register(kind, handler);
  return engine;
}

describe("builtinSteps: run is opt-in", () => {
  it("has no run kind unless the host enables it", () => {
    expect(Object.keys(builtinSteps()).sort()).toEqual(["http"]);
    expect(Object.keys(builtinSteps({ http: {} })).sort()).toEqual(["http"]);
    const enabled = builtinSteps({ run: { cwd: "/", env: {} } });
    expect(Object.keys(enabled).sort()).toEqual(["http", "run"]);
    const bad = { run: { env: {} } } as unknown as Parameters<typeof builtinSteps>[0];
    expect(() => builtinSteps(bad)).toThrow(/options\.run\.cwd must be the directory commands start in/);
  });

  it("a workflow using run: fails validation naming the file, the line and why", () => {
    const engine = engineWith(builtinSteps());
    const error = (() => {
      try {
        return parseWorkflow(RUN_WORKFLOW, { file: "shell.yml", kinds: engine.kinds });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(WorkflowError);
    expect((error as Error).message).toContain(
      "shell.yml:6:9 stages[0].steps[0]: unknown step kind 'run': the host did not enable it (known: http, signal, wait)",
    );
  });

  it("a definition given as an object is refused the same way", () => {
    const engine = engineWith(builtinSteps());
    const definition = { name: "x", stages: [{ id: "a", steps: [{ id: "s", run: "true" }] }] };
    expect(() => compileWorkflow(definition, { kinds: engine.kinds })).toThrow(
      /stages\[0\]\.steps\[0\]: unknown step kind 'run': the host did not enable it/,
    );
  });

  it("when enabled, commands get the host's directory and environment, not the process's", async () => {
    const [hostDir, workDir] = [await tempDir(), await tempDir()];
    const env = { PATH: process.env.PATH, ONLY_HOST: "yes" };
    const engine = engineWith(builtinSteps({ run: { cwd: hostDir, env } }), new FakeClock(), workDir);
    const plan = parseWorkflow(RUN_WORKFLOW, { file: "shell.yml", kinds: engine.kinds });
    const { runId, done } = await engine.start(plan);
    await expect(done).resolves.toMatchObject({ status: "succeeded" });
    const report = await engine.report(runId);
    const outputs = report.stages[0]?.steps[0]?.outputs;
    expect(process.cwd()).not.toBe(hostDir);
    expect(process.env.HOME).toBeTruthy();
    expect(outputs).toEqual({ dir: hostDir, only: "yes", home: "" });
    await engine.close();
  });
});

describe("builtinSteps: http takes the host's fetch and the engine's clock", () => {
  const HTTP_WORKFLOW = (timeout: string) =>
    [
      "name: ping",
      "defaults:",
      "  retry: { max_attempts: 1 }",
      "stages:",
      "  - id: notify",
      "    steps:",
      "      - id: ping",
      `        http: { url: "https://hooks.example.com/ping", method: POST, body: { ok: true }, timeout: ${timeout} }`,
      "",
    ].join("\n");

  it("calls the injected fetch", async () => {
    const urls: string[] = [];
    const fetch: FetchFunction = async (url, init) => {
      urls.push(`${init.method} ${url} ${String(init.body)}`);
      return new Response("pong", { status: 200, headers: { "content-type": "text/plain" } });
    };
    const engine = engineWith(builtinSteps({ http: { fetch } }));
    const plan = parseWorkflow(HTTP_WORKFLOW("10s"), { file: "ping.yml", kinds: engine.kinds });
    const { runId, done } = await engine.start(plan);
    await expect(done).resolves.toMatchObject({ status: "succeeded" });
    expect(urls).toEqual(['POST https://hooks.example.com/ping {"ok":true}']);
    expect((await engine.report(runId)).stages[0]?.steps[0]?.outputs).toMatchObject({
      status: 200,
      body: "pong",
    });
    await engine.close();
  });

  it("a fetch that never answers times out when the fake clock reaches the step's timeout", async () => {
    const clock = new FakeClock();
    let called = 0;
    const fetch: FetchFunction = () => {
      called += 1;
      return new Promise<Response>(() => {}); // never answers, ignores its signal
    };
    const engine = engineWith(builtinSteps({ http: { fetch } }), clock);
    const plan = parseWorkflow(HTTP_WORKFLOW("45s"), { file: "ping.yml", kinds: engine.kinds });
    const { runId, done } = await engine.start(plan);
    let finished = false;
    void done.finally(() => {
      finished = true;
    });
    while (called === 0) await clock.advance(0);
    await clock.advance(44_999);
    expect(finished).toBe(false);
    await clock.advance(1);
    await expect(done).resolves.toMatchObject({ status: "failed" });
    const step = (await engine.report(runId)).stages[0]?.steps[0];
    expect(step?.error?.message).toBe("POST https://hooks.example.com/ping timed out after 45s");
    expect(called).toBe(1);
    await engine.close();
  });
});
