import { readdirSync, readFileSync } from "node:fs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { captureIo, stageflow, tempDir } from "./helpers.js";

/** Made up for this test; neither looks like a known token, so only masking by value can catch them. */
const INPUT_SECRET = "in-put-Secret-4711-quux";
const ENV_SECRET = "env-Secret-0815-corge";

const workflow = `name: leaky
secrets: [DEPLOY_KEY_FOR_TEST]
inputs:
  api_key: { type: string, required: true, secret: true }
  version: { type: string, default: "1.0" }
stages:
  - id: main
    steps:
      - id: out
        run: |
          echo "plain \${{ inputs.api_key }} and $DEPLOY_KEY_FOR_TEST"
          echo "in a word: MY_\${{ inputs.api_key }}_X and X\${DEPLOY_KEY_FOR_TEST}Y"
          echo "as JSON: {\\"k\\": \\"\${{ inputs.api_key }}\\"}"
          echo "copy=\${{ inputs.api_key }}" >> "$STAGEFLOW_OUTPUT"
          echo "env=$DEPLOY_KEY_FOR_TEST" >> "$STAGEFLOW_OUTPUT"
      - id: leak
        run: |
          echo "reads \${{ steps.out.outputs.copy }}"
          echo "to stderr: \${{ inputs.api_key }} / $DEPLOY_KEY_FOR_TEST" >&2
          exit 3
`;

describe("secrets are masked by value everywhere a run is stored or shown", () => {
  let tmp: ReturnType<typeof tempDir>;
  let db: string;
  const env = { DEPLOY_KEY_FOR_TEST: ENV_SECRET };
  const cli = (...args: string[]) => stageflow(captureIo(tmp.dir, env), ...args, "--db", db);

  beforeEach(() => {
    tmp = tempDir();
    db = tmp.path("state.db");
    tmp.write("leaky.yml", workflow);
    // The `run` kind starts commands from the process environment (bin.ts passes process.env as io.env).
    process.env.DEPLOY_KEY_FOR_TEST = ENV_SECRET;
  });
  afterEach(() => {
    delete process.env.DEPLOY_KEY_FOR_TEST;
    tmp.cleanup();
  });

  const leaks = (text: string) =>
    [INPUT_SECRET, ENV_SECRET].filter(
      (s) => text.includes(s) || text.includes(JSON.stringify(s).slice(1, -1)),
    );

  it("in status, history, report, diagnostics, logs and the journal's bytes", async () => {
    const ran = await cli("run", "leaky.yml", "-i", `api_key=${INPUT_SECRET}`);
    expect(ran.code).toBe(1);
    const status = await cli("status", "--json");
    const id = (JSON.parse(status.out) as Array<{ id: string }>)[0]?.id as string;
    const outputs = [
      ran.out,
      ran.err,
      status.out,
      (await cli("status")).out,
      (await cli("status", id)).out,
      (await cli("status", id, "--json")).out,
      (await cli("history", id)).out,
      (await cli("history", id, "--json")).out,
      (await cli("diagnostics", id)).out,
    ];
    await cli("diagnostics", id, "--out", tmp.path("bundle.json"));
    outputs.push(readFileSync(tmp.path("bundle.json"), "utf8"));
    const logs = await cli("logs", id);
    const logsJson = await cli("logs", id, "--json");
    outputs.push(logs.out, logsJson.out);

    for (const text of outputs) expect(leaks(text)).toEqual([]);
    // What was masked is still there, in context.
    expect(logs.out).toContain("out  | plain *** and ***");
    expect(logs.out).toContain("in a word: MY_***_X and X***Y");
    expect(logs.out).toContain('as JSON: {"k": "***"}');
    expect(logs.out).toContain("leak | reads ***");
    expect(logs.out).toContain("leak ! to stderr: *** / ***");
    expect((await cli("status", id)).out).toContain("to stderr: *** / ***");
    const bundle = JSON.parse((await cli("diagnostics", id)).out) as {
      run: { inputs: unknown };
      stepLog: Array<{ text: string }>;
    };
    expect(bundle.run.inputs).toEqual({ api_key: "***", version: "1.0" });
    expect(bundle.stepLog.map((l) => l.text)).toContain("plain *** and ***");

    // Masked before it was journaled: the database and its WAL never held the values.
    for (const file of readdirSync(tmp.dir).filter((f) => f.startsWith("state.db"))) {
      expect(leaks(readFileSync(tmp.path(file)).toString("latin1"))).toEqual([]);
    }
  });

  it("asks for secret inputs again on resume, since they are not stored", async () => {
    await cli("run", "leaky.yml", "-i", `api_key=${INPUT_SECRET}`);
    const id = (JSON.parse((await cli("status", "--json")).out) as Array<{ id: string }>)[0]?.id as string;
    const refused = await cli("resume", id);
    expect(refused.code).toBe(2);
    expect(refused.err).toContain("needs its secret input(s) 'api_key' again");
    expect(refused.err).toContain("--input api_key=...");
    expect(refused.err).not.toMatch(/\n\s+at /);
    const wrong = await cli("resume", id, "-i", "version=2");
    expect(wrong.code).toBe(2);
    expect(wrong.err).toContain("'version' is not a secret input");

    const resumed = await cli("resume", id, "-i", `api_key=${INPUT_SECRET}`);
    expect(resumed.code).toBe(1);
    expect(leaks(resumed.out + resumed.err)).toEqual([]);
    const logs = (await cli("logs", id, "leak")).out;
    expect(logs).toContain("leak#2 ! to stderr: *** / ***");
    expect(leaks(logs)).toEqual([]);
    for (const file of readdirSync(tmp.dir).filter((f) => f.startsWith("state.db"))) {
      expect(leaks(readFileSync(tmp.path(file)).toString("latin1"))).toEqual([]);
    }
  });
});

describe("run --dry-run", () => {
  it("masks secret inputs by value in the plan it shows", async () => {
    const tmp = tempDir();
    try {
      // An innocent name: only the declaration `secret: true` says to mask it.
      tmp.write("leaky.yml", workflow.replaceAll("api_key", "target"));
      const shown = await stageflow(
        captureIo(tmp.dir),
        "run",
        "leaky.yml",
        "--dry-run",
        "-i",
        `target=${INPUT_SECRET}`,
      );
      expect(shown.code).toBe(0);
      expect(shown.out).not.toContain(INPUT_SECRET);
      const json = await stageflow(
        captureIo(tmp.dir),
        "run",
        "leaky.yml",
        "--dry-run",
        "--json",
        "-i",
        `target=${INPUT_SECRET}`,
      );
      expect(JSON.parse(json.out).inputs).toEqual({ target: "***", version: "1.0" });
    } finally {
      tmp.cleanup();
    }
  });
});
