import { describe, expect, it } from "vitest";
import { MAX_COMMAND_LINE, MAX_COMMAND_PARAMS, parseCommand } from "../../src/github/commands.js";

const options = {
  prefix: "/stageflow",
  commands: new Map([
    ["deploy", "deploy-app"],
    ["Release", "release"],
  ]),
};
const parse = (body: string) => parseCommand(body, options);

describe("parseCommand", () => {
  const table: [string, string, unknown][] = [
    // starting runs
    [
      "run with params",
      "/stageflow run deploy-app env=staging n=3",
      { kind: "run", workflow: "deploy-app", params: { env: "staging", n: "3" } },
    ],
    [
      "a workflow's own command",
      "/deploy env=staging",
      { kind: "run", workflow: "deploy-app", params: { env: "staging" } },
    ],
    ["own command, no params", "/deploy", { kind: "run", workflow: "deploy-app", params: {} }],
    [
      "own command, case-insensitive both ways",
      "/RELEASE version=1.2.3",
      { kind: "run", workflow: "release", params: { version: "1.2.3" } },
    ],
    [
      "double-quoted value",
      '/deploy note="two words" env=prod',
      { kind: "run", workflow: "deploy-app", params: { note: "two words", env: "prod" } },
    ],
    [
      "single-quoted value",
      "/deploy note='say \"hi\"'",
      { kind: "run", workflow: "deploy-app", params: { note: 'say "hi"' } },
    ],
    [
      "escapes in double quotes",
      '/deploy note="a \\"b\\" \\\\ c"',
      { kind: "run", workflow: "deploy-app", params: { note: 'a "b" \\ c' } },
    ],
    [
      "empty value",
      "/deploy note= env=x",
      { kind: "run", workflow: "deploy-app", params: { note: "", env: "x" } },
    ],
    ["value with =", "/deploy q=a=b", { kind: "run", workflow: "deploy-app", params: { q: "a=b" } }],
    [
      "param keys keep their case",
      "/deploy Env=x",
      { kind: "run", workflow: "deploy-app", params: { Env: "x" } },
    ],
    // steering
    ["retry", "/stageflow retry", { kind: "retry" }],
    ["retry a step", "/stageflow retry build", { kind: "retry", step: "build" }],
    [
      "retry a step of another run",
      "/stageflow retry build #123",
      { kind: "retry", step: "build", run: "123" },
    ],
    ["retry a run by id", "/stageflow retry #01J9-abc_d", { kind: "retry", run: "01J9-abc_d" }],
    ["skip", "/stageflow skip docs", { kind: "skip", step: "docs" }],
    ["skip on another run", "/stageflow skip #7 docs", { kind: "skip", step: "docs", run: "7" }],
    ["resume", "/stageflow resume", { kind: "resume" }],
    ["cancel #RUN", "/stageflow cancel #42", { kind: "cancel", run: "42" }],
    ["approve, any case", "/StageFlow APPROVE", { kind: "approve" }],
    ["status", "/stageflow status", { kind: "status" }],
    ["prefix alone is help", "/stageflow", { kind: "help" }],
    ["help", "/stageflow help", { kind: "help" }],
    ["unknown word", "/stageflow frob", { kind: "unknown", word: "frob" }],
    // where the command is
    ["leading blank lines", "\n  \r\n/stageflow status\r\nthanks", { kind: "status" }],
    ["up to 3 spaces of indent", "   /stageflow status", { kind: "status" }],
    ["a no-break space between words", "/stageflow\u00a0retry\u00a0build", { kind: "retry", step: "build" }],
    ["text after the first line is not read", "/stageflow cancel\n/deploy env=x", { kind: "cancel" }],
    // not commands
    ["a second-line command", "Looks good!\n/deploy env=staging", undefined],
    ["a quote", "> /deploy env=staging\nlike this?", undefined],
    ["an indented quote", "  > /stageflow cancel", undefined],
    ["a backtick fence", "```\n/deploy env=staging\n```", undefined],
    ["a tilde fence", "~~~sh\n/stageflow cancel\n~~~", undefined],
    ["an indented code block", "    /stageflow cancel", undefined],
    ["a tab-indented code block", "\t/stageflow cancel", undefined],
    ["inline code", "`/deploy env=staging` is how you deploy", undefined],
    ["another bot's command", "/lgtm", undefined],
    ["a longer word with our prefix", "/stageflowx run a", undefined],
    ["a workflow name is not a command", "/deploy-app env=x", undefined],
    ["mid-line", "please /deploy env=x", undefined],
    ["empty", "", undefined],
    ["blank", " \n\t\n", undefined],
  ];
  it.each(table)("%s: %j", (_name, body, expected) => {
    const result = parse(body);
    if (expected === undefined) expect(result).toBeUndefined();
    else expect(result).toEqual({ raw: firstNonBlank(body), ...(expected as object) });
  });

  const invalid: [string, string, RegExp][] = [
    ["skip without a step", "/stageflow skip", /skip needs the step to skip: \/stageflow skip STEP/],
    ["run without a name", "/stageflow run", /run needs a workflow name/],
    [
      "run with a stray word",
      "/stageflow run deploy-app staging",
      /unexpected word 'staging': parameters are written key=value/,
    ],
    ["own command with a stray word", "/deploy staging", /unexpected word 'staging'/],
    ["own command naming a run", "/deploy #12", /starts a new run/],
    ["duplicate parameter", "/deploy env=a env=b", /parameter 'env' is given more than once/],
    ["unterminated quote", '/deploy note="abc', /unterminated " quote/],
    ["text glued to a quote", '/deploy note="a"b', /followed by a space/],
    ["bad parameter name", "/deploy 1x=2", /'1x' is not a parameter name/],
    ["inline code in a value", "/deploy env=`prod`", /inline code in parameter 'env'/],
    [
      "params on a steering command",
      "/stageflow cancel force=true",
      /takes no key=value parameters \('force'\)/,
    ],
    ["two steps", "/stageflow retry a b", /unexpected word 'b': \/stageflow retry STEP \[#RUN\]/],
    ["a word after resume", "/stageflow resume now", /unexpected word 'now'/],
    ["two runs", "/stageflow cancel #1 #2", /only one run/],
    ["a bad run reference", "/stageflow cancel #", /does not name a run/],
    ["a bad run reference 2", "/stageflow cancel #a.b", /does not name a run/],
    ["params before the subcommand", "/stageflow env=x", /needs a command first/],
  ];
  it.each(invalid)("%s is invalid with a message", (_name, body, message) => {
    const result = parse(body);
    expect(result?.kind).toBe("invalid");
    expect(result).toMatchObject({ raw: body, message: expect.stringMatching(message) });
  });

  it(`refuses a line longer than ${MAX_COMMAND_LINE} characters, and keeps raw bounded`, () => {
    const body = `/deploy note=${"x".repeat(MAX_COMMAND_LINE)}`;
    const result = parse(body);
    expect(result).toMatchObject({ kind: "invalid", message: expect.stringMatching(/at most 1000/) });
    expect(result?.raw.length).toBe(MAX_COMMAND_LINE + 1);
    expect(parse(`/deploy note=${"x".repeat(MAX_COMMAND_LINE - 20)}`)?.kind).toBe("run");
  });

  it(`refuses more than ${MAX_COMMAND_PARAMS} parameters`, () => {
    const params = (n: number) => Array.from({ length: n }, (_, i) => `p${i}=1`).join(" ");
    expect(parse(`/deploy ${params(MAX_COMMAND_PARAMS)}`)?.kind).toBe("run");
    expect(parse(`/deploy ${params(MAX_COMMAND_PARAMS + 1)}`)).toMatchObject({
      kind: "invalid",
      message: expect.stringMatching(/51 parameters; at most 50/),
    });
  });

  it("uses the configured prefix, not /stageflow", () => {
    const custom = { prefix: "/sf", commands: new Map<string, string>() };
    expect(parseCommand("/sf cancel", custom)).toEqual({ kind: "cancel", raw: "/sf cancel" });
    expect(parseCommand("/stageflow cancel", custom)).toBeUndefined();
  });

  it("a long body costs nothing beyond its first line", () => {
    const body = `/stageflow status\n${"text ".repeat(20_000)}`;
    expect(parse(body)).toEqual({ kind: "status", raw: "/stageflow status" });
  });
});

function firstNonBlank(body: string): string {
  return (body.split(/\r?\n/).find((l) => l.trim() !== "") ?? "").trim();
}
