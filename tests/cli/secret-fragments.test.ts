/**
 * Where stageflow cuts text a step controls (a long log line, the stderr tail in an error, a line
 * read in pieces) or quotes text that may be a secret (a JSON parse error, a mistyped --input),
 * no part of a secret may be left: every window of 4 characters of it is looked for in all that
 * the CLI shows of the run.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { secretFragments } from "../support/fragments.js";
import { captureIo, stageflow, tempDir } from "./helpers.js";

/** Made up: no 4 characters of it are hex digits only or a word likely elsewhere in the output. */
const SECRET = "Zq8-QmVp7KxW-jTgR9-Lh4Nz-wYuSkq";

let tmp: ReturnType<typeof tempDir>;
let db: string;
beforeEach(() => {
  tmp = tempDir();
  db = tmp.path("state.db");
});
afterEach(() => tmp.cleanup());

const cli = (...args: string[]) => stageflow(captureIo(tmp.dir), ...args, "--db", db);

/** A workflow of one `run` step `a` (`run` is what follows `run: `) with one required secret input. */
const oneStep = (name: string, input: string, run: string) => `name: ${name}
inputs:
  ${input}: { type: string, secret: true, required: true }
stages:
  - id: s
    steps:
      - id: a
        run: ${run}`;

/** Everything the CLI shows of run `id`, as [what, text] pairs. */
async function shown(id: string): Promise<Array<[string, string]>> {
  const views: Array<[string, string]> = [];
  for (const args of [
    ["logs", id],
    ["logs", id, "--json"],
    ["status", id],
    ["status", id, "--json"],
    ["history", id],
    ["history", id, "--json"],
    ["diagnostics", id],
  ]) {
    const r = await cli(...args);
    views.push([args.join(" "), r.out + r.err]);
  }
  return views;
}

/** The views that show part of `secret`, with the parts found. */
const leaks = (secret: string, views: Array<[string, string]>): Array<[string, string[]]> =>
  views
    .map(([what, text]): [string, string[]] => [what, secretFragments(secret, text)])
    .filter(([, found]) => found.length > 0);

describe("a cut through step output leaves no part of a secret", () => {
  it("a log line clipped at 4,096 characters, and an error's stderr tail cut to its last 4 KB", async () => {
    tmp.write(
      "clip.yml",
      oneStep(
        "clip",
        "key",
        `|
          # stdout: the secret starts 11 characters before the log's clip at 4,096
          printf '%4085s%s%20s\\n' '' "$INPUT_KEY" '' | tr ' ' x
          # stderr: the tail's last 4,096 characters would start inside the secret
          printf '%s%4080s\\n' "$INPUT_KEY" '' | tr ' ' y >&2
          exit 3
`,
      ),
    );
    const ran = await cli("run", "clip.yml", "--input", `key=${SECRET}`, "--json");
    expect(ran.code).toBe(1);
    const id = (JSON.parse(ran.out) as { id: string }).id;
    const views = [["run --json", ran.out + ran.err] as [string, string], ...(await shown(id))];
    expect(leaks(SECRET, views)).toEqual([]);
    // What was masked is still there, in context.
    const logs = (await cli("logs", id)).out;
    expect(logs.includes(`${"x".repeat(4085)}***${"x".repeat(8)} … [line clipped]`)).toBe(true);
    const status = JSON.parse((await cli("status", id, "--json")).out) as {
      steps: Array<{ error?: { message: string } }>;
    };
    expect(
      status.steps[0]?.error?.message === `command failed with exit code 3: ***${"y".repeat(4080)}`,
    ).toBe(true);
  });

  it("a line over 64 KiB read in pieces, the secret arriving across the cut", async () => {
    tmp.write(
      "long.yml",
      oneStep(
        "long",
        "key",
        `|
          # 65,530 characters, then the secret's first part: the line passes 64 KiB inside the secret.
          printf '%65530s%s' '' "\${INPUT_KEY:0:16}" | tr ' ' x
          # The rest comes later (a read of the pipe most likely ends in between).
          sleep 0.3
          printf '%s\\n' "\${INPUT_KEY:16}"
`,
      ),
    );
    const ran = await cli("run", "long.yml", "--input", `key=${SECRET}`, "--json");
    expect(ran.code).toBe(0);
    const id = (JSON.parse(ran.out) as { id: string }).id;
    expect(leaks(SECRET, [["run --json", ran.out + ran.err], ...(await shown(id))])).toEqual([]);
    expect((await cli("logs", id)).out).toContain("***");
  });
});

describe("a JSON parse error quotes nothing of its text", () => {
  const CREDS = `{"Qz7":"Wv3K","Jp9":${SECRET}}`;

  it("fromJSON() of a malformed secret input says where, not what", async () => {
    tmp.write("json.yml", oneStep("json", "creds", `echo "\${{ fromJSON(inputs.creds).Qz7 }}"\n`));
    const ran = await cli("run", "json.yml", "--input", `creds=${CREDS}`, "--json");
    expect(ran.code).toBe(1);
    const id = (JSON.parse(ran.out) as { id: string }).id;
    const views: Array<[string, string]> = [["run --json", ran.out + ran.err], ...(await shown(id))];
    expect(leaks(SECRET, views)).toEqual([]);
    expect(leaks(CREDS, views)).toEqual([]);
    expect((await cli("status", id, "--json")).out).toContain(
      "fromJSON(): invalid JSON (at position 20: expected a value) at column 1",
    );
  });

  it("--input-file names the file and the position", async () => {
    tmp.write("ok.yml", "name: ok\nstages:\n  - id: s\n    steps:\n      - id: a\n        run: 'true'\n");
    tmp.write("inputs.json", `{\n  "api_key": "${SECRET}" "version": "1"\n}\n`);
    const ran = await cli("run", "ok.yml", "--input-file", "inputs.json");
    expect(ran.code).toBe(2);
    expect(ran.err).toContain(
      "--input-file inputs.json: invalid JSON at line 2, column 48: expected ',' or '}'",
    );
    expect(secretFragments(SECRET, ran.out + ran.err)).toEqual([]);
  });

  it("a mistyped --input (':' for '=') is not echoed", async () => {
    tmp.write("ok.yml", "name: ok\nstages:\n  - id: s\n    steps:\n      - id: a\n        run: 'true'\n");
    const ran = await cli("run", "ok.yml", "--input", "version=1", "--input", `api_key:${SECRET}`);
    expect(ran.code).toBe(2);
    expect(ran.err).toContain("--input: expected key=value, got an argument with no '=' (--input number 2)");
    expect(secretFragments(SECRET, ran.out + ran.err)).toEqual([]);
  });
});
