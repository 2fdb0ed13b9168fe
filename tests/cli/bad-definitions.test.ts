import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LIMITS } from "../../src/engine/definition/limits.js";
import { captureIo, stageflow, tempDir } from "./helpers.js";

/**
 * Bad workflow files and inputs, each run through the real CLI entry: `run` exits 2 with a clear
 * message (never a stack trace, never a run recorded), and `validate` refuses the same file with
 * the same message (exit 1). Keep adding rows.
 */

const head = "name: bad\nstages:\n  - id: s\n    steps:\n";
const step = (extra: string, id = "w") => `${head}      - { id: ${id}, wait: 1ms${extra} }\n`;
const recovery = (match: string) =>
  `${step("")}recovery:\n  - { id: r, match: ${JSON.stringify(match)}, type: network, strategy: fail }\n`;
const many = (n: number, line: (i: number) => string) =>
  Array.from({ length: n }, (_, i) => line(i)).join("\n");

interface Row {
  name: string;
  /** The workflow file's text. */
  file: string;
  /** The message (or a fragment of it) that both `run` and `validate` print. */
  message: string;
}

const definitions: Row[] = [
  {
    name: "timeout 0",
    file: step(", timeout: 0"),
    message: "bad.yml:5:38 stages[0].steps[0].timeout: must be at least 1ms",
  },
  {
    name: "a 309-digit duration",
    file: step(`, timeout: ${"9".repeat(309)}ms`),
    message: "bad.yml:5:38 stages[0].steps[0].timeout: must be at most 30d (2592000000 ms)",
  },
  {
    name: "a 241-character step id",
    file: step("", "a".repeat(241)),
    message: "bad.yml:5:15 stages[0].steps[0].id: an id has at most 64 characters, got 241",
  },
  {
    name: "max_attempts 1000000000000",
    file: step(", retry: { max_attempts: 1000000000000 }"),
    message:
      "bad.yml:5:52 stages[0].steps[0].retry.max_attempts: must be at most 100, got number 1000000000000",
  },
  {
    name: "a wait of 999 days",
    file: `${head}      - { id: w, wait: 999d }\n`,
    message: "bad.yml:5:24 stages[0].steps[0].wait: must be at most 30d",
  },
  {
    name: "a self-referencing anchor",
    file: step(", with: &w { again: *w }"),
    message: "stages[0].steps[0].with.again: this value contains itself (an alias inside its own anchor)",
  },
  {
    name: "expression nesting of 1,200 levels",
    file: step(`, if: "${"(".repeat(1200)}true${")".repeat(1200)}"`),
    message: "stages[0].steps[0].if: invalid expression '((((",
  },
  {
    name: "an expression of 5,000 characters",
    file: step(`, if: "'${"x".repeat(5000)}' == 'x'"`),
    message: "an expression has at most 4096 characters",
  },
  {
    name: "a file over 256 KiB",
    file: `${step("")}# ${"x".repeat(LIMITS.fileBytes)}\n`,
    message: "bad.yml: cannot read: the file is larger than 256 KiB",
  },
  {
    name: "a bracket bomb",
    file: `${step("")}x: ${"[".repeat(100_000)}${"]".repeat(100_000)}\n`,
    message: "bad.yml:6:36 (root): nests deeper than 32 levels of lists and mappings",
  },
  {
    name: "too many aliases",
    file: `name: bad\na: &a [1]\nb: [${Array(101).fill("*a").join(", ")}]\nstages: []\n`,
    message: "bad.yml:3:405 (root): more than 100 aliases ('*name')",
  },
  {
    name: "a billion laughs",
    file: `name: bad\nl0: &l0 [x, x, x, x, x, x, x, x, x, x]\n${many(9, (i) => `l${i + 1}: &l${i + 1} [${Array(10).fill(`*l${i}`).join(", ")}]`)}\nstages: []\n`,
    message: "bad.yml (root): Excessive alias count indicates a resource exhaustion attack",
  },
  { name: ".inf in with:", file: step(", with: { n: .inf }"), message: "with.n: expected a finite number" },
  {
    name: "two YAML documents",
    file: `${step("")}---\n${step("")}`,
    message: "bad.yml:6:1 (root): a workflow file holds one YAML document",
  },
  {
    name: "a lookbehind pattern",
    file: recovery("(?<=token )secret"),
    message: "bad.yml:7:21 recovery[0].match: invalid regular expression: lookahead and lookbehind",
  },
  {
    name: "a backreference pattern",
    file: recovery("(a)\\1"),
    message: "bad.yml:7:21 recovery[0].match: invalid regular expression: backreferences",
  },
  {
    name: "a pattern too large to match quickly",
    file: recovery(".{1000}.{1000}"),
    message: "recovery[0].match: invalid regular expression: the pattern is too large",
  },
  {
    name: "101 stages",
    file: `name: bad\nstages:\n${many(101, (i) => `  - { id: s${i}, steps: [{ id: w${i}, wait: 1ms }] }`)}\n`,
    message: "bad.yml:3:3 stages: must have at most 100 items",
  },
  {
    name: "1,001 steps",
    file: `${head}${many(1001, (i) => `      - { id: w${i}, wait: 1ms }`)}\n`,
    message: "stages: a workflow has at most 1000 steps, got 1001",
  },
  {
    name: "concurrency 101",
    file: `${head.replace("  - id: s\n", "  - id: s\n    mode: parallel\n    concurrency: 101\n")}      - { id: w, wait: 1ms }\n`,
    message: "bad.yml:5:18 stages[0].concurrency: must be at most 100, got number 101",
  },
  {
    name: "101 inputs",
    file: `name: bad\ninputs:\n${many(101, (i) => `  i${i}: { type: string }`)}\nstages: [{ id: s, steps: [{ id: w, wait: 1ms }] }]\n`,
    message: "bad.yml:3:3 inputs: a workflow has at most 100 inputs, got 101",
  },
  {
    name: "a workflow name of 101 characters",
    file: step("").replace("name: bad", `name: ${"n".repeat(101)}`),
    message: "bad.yml:1:7 name: must have at most 100 characters",
  },
  // Passed validate and then failed at run before the first step (now one code path):
  {
    name: "a constant expression that fails (stage if)",
    file: `name: bad\nstages:\n  - id: s\n    if: "format('{0}')"\n    steps: [{ id: w, wait: 1ms }]\n`,
    message:
      "bad.yml:4:9 stages[0].if: invalid expression 'format('{0}')': format(): '{0}' has no argument (got 0) at column 1",
  },
  {
    name: "a constant expression that fails (with:)",
    file: step(`, with: { x: "\${{ format('{') }}" }`),
    message:
      "stages[0].steps[0].with.x: invalid expression 'format('{')': format(): unmatched '{' in '{' at column 1",
  },
  {
    name: "an alternative's with: reading an unknown input",
    file: `${step("")}recovery:\n  - { id: r, match: x, type: network, strategy: alternative, alternatives: [{ with: { u: "\${{ inputs.nope }}" } }] }\n`,
    message: "recovery[0].alternatives[0].with.u: unknown input 'nope' (the workflow declares no inputs)",
  },
];

const STACK = /\n\s+at .+:\d+:\d+\)?\n/;

describe("bad workflow files: run exits 2, validate refuses with the same message, no stack traces", () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeAll(() => {
    tmp = tempDir("stageflow-bad-");
  });
  afterAll(() => tmp.cleanup());
  const cli = (...args: string[]) => stageflow(captureIo(tmp.dir), ...args);

  it.each(definitions)("$name", async ({ file, message }) => {
    tmp.write("bad.yml", file);
    const ran = await cli("run", "bad.yml", "--db", tmp.path("state.db"));
    expect(ran.code).toBe(2);
    expect(ran.out).toBe("");
    expect(ran.err).toContain(message);
    expect(ran.err).not.toMatch(STACK);
    const checked = await cli("validate", "bad.yml");
    expect(checked.code).toBe(2);
    expect(checked.out.trim()).toBe(ran.err.trim());
    // Nothing was recorded: `status` finds no run.
    const status = await cli("status", "--db", tmp.path("state.db"), "--json");
    expect(status.code === 2 || JSON.parse(status.out).length === 0).toBe(true);
  });
});

const fifos = process.platform !== "win32";

describe.runIf(fifos)("files that are not regular files, and oversized inputs: exit 2, no hang", () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeAll(() => {
    tmp = tempDir("stageflow-bad-");
    tmp.write(
      "ok.yml",
      `name: ok\ninputs: { v: { type: string } }\nstages: [{ id: s, steps: [{ id: w, wait: 1ms }] }]\n`,
    );
    execFileSync("mkfifo", [tmp.path("pipe.yml")]);
    execFileSync("mkfifo", [tmp.path("pipe.json")]);
    mkdirSync(tmp.path("dir.yml"));
    tmp.write("big.json", `{"v": "${"x".repeat(LIMITS.inputFileBytes)}"}`);
  });
  afterAll(() => tmp.cleanup());
  const cli = (...args: string[]) => stageflow(captureIo(tmp.dir), ...args);
  const db = () => ["--db", tmp.path("state.db")];

  const rows: Array<{ name: string; args: () => string[]; message: string }> = [
    {
      name: "a FIFO as the workflow",
      args: () => ["run", "pipe.yml", ...db()],
      message: "pipe.yml: cannot read: a named pipe (FIFO), not a regular file",
    },
    {
      name: "a character device as the workflow",
      args: () => ["run", "/dev/zero", ...db()],
      message: "/dev/zero: cannot read: a character device, not a regular file",
    },
    {
      name: "a directory as the workflow",
      args: () => ["run", "dir.yml", ...db()],
      message: "dir.yml: cannot read: a directory, not a regular file",
    },
    {
      name: "a FIFO as the inputs file",
      args: () => ["run", "ok.yml", "--input-file", "pipe.json", ...db()],
      message: "--input-file pipe.json: a named pipe (FIFO), not a regular file",
    },
    {
      name: "a character device as the inputs file",
      args: () => ["run", "ok.yml", "--input-file", "/dev/urandom", ...db()],
      message: "--input-file /dev/urandom: a character device, not a regular file",
    },
    {
      name: "an inputs file over 1 MiB",
      args: () => ["run", "ok.yml", "--input-file", "big.json", ...db()],
      message: "--input-file big.json: the file is larger than 1 MiB",
    },
    {
      name: "an input value over 64 KiB",
      args: () => ["run", "ok.yml", "--input", `v=${"x".repeat(LIMITS.inputLength + 1)}`, ...db()],
      message: "input 'v': at most 65536 characters, got 65537",
    },
  ];

  it.each(rows)("$name", async ({ args, message }) => {
    const ran = await cli(...args());
    expect(ran.code).toBe(2);
    expect(ran.err).toContain(message);
    expect(ran.err).not.toMatch(STACK);
  });

  it("validate refuses a FIFO and a device too", async () => {
    const checked = await cli("validate", "pipe.yml", "/dev/zero", "ok.yml");
    expect(checked.code).toBe(2);
    expect(checked.out).toBe(
      "pipe.yml: cannot read: a named pipe (FIFO), not a regular file\n" +
        "/dev/zero: cannot read: a character device, not a regular file\n" +
        "ok.yml: ok (1 stage, 1 step)\n",
    );
  });
});
