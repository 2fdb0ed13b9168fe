import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createContext } from "../../src/cli/context.js";
import { buildProgram } from "../../src/cli/program.js";
import { captureIo, stageflow, tempDir } from "./helpers.js";

const has = (shell: string) =>
  ["/bin", "/usr/bin", "/usr/local/bin"].some((d) => existsSync(`${d}/${shell}`));

describe("stageflow completion bash|zsh|fish", () => {
  const tmp = tempDir();
  const scripts: Record<string, string> = {};
  beforeAll(async () => {
    for (const shell of ["bash", "zsh", "fish"]) {
      const { code, out } = await stageflow(captureIo(tmp.dir), "completion", shell);
      expect(code).toBe(0);
      scripts[shell] = tmp.write(`completion.${shell}`, out);
    }
  });
  afterAll(() => tmp.cleanup());

  /** What bash offers for the words typed so far (the last one is being completed). */
  const bash = (...words: string[]) =>
    execFileSync(
      "bash",
      [
        "-c",
        `source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _stageflow_complete; printf '%s\\n' "\${COMPREPLY[@]}"`,
        "bash",
        scripts.bash as string,
        ...words,
      ],
      { encoding: "utf8", cwd: tmp.dir },
    )
      .split("\n")
      .filter(Boolean);

  it("bash completes commands, each command's options, and option values", () => {
    expect(bash("stageflow", "st")).toEqual(["status", "stats"]);
    expect(bash("stageflow", "prune", "--")).toEqual(
      expect.arrayContaining(["--older-than", "--dry-run", "--db"]),
    );
    expect(bash("stageflow", "status", "--st")).toEqual(["--status"]);
    expect(bash("stageflow", "run", "--durability", "")).toEqual(["process", "machine"]);
    expect(bash("stageflow", "status", "--status", "f")).toEqual(["failed"]);
    expect(bash("stageflow", "run", "completion.b")).toEqual(["completion.bash"]);
  });

  it("every script names every command and every option of the program", () => {
    const program = buildProgram(createContext(captureIo(tmp.dir)));
    for (const shell of ["bash", "zsh", "fish"]) {
      const text = readFileSync(scripts[shell] as string, "utf8");
      for (const cmd of program.commands) {
        expect(text, `${shell}: ${cmd.name()}`).toContain(cmd.name());
        for (const option of cmd.options) {
          const long = option.long as string;
          expect(text, `${shell}: ${cmd.name()} ${long}`).toContain(
            shell === "fish" ? `-l ${long.slice(2)}` : long,
          );
        }
      }
    }
  });

  it.skipIf(!has("zsh"))("the zsh script parses", () => {
    execFileSync("zsh", ["-n", scripts.zsh as string]);
  });

  it.skipIf(!has("fish"))("the fish script parses and completes", () => {
    execFileSync("fish", ["-n", scripts.fish as string]);
    const offered = execFileSync(
      "fish",
      [
        "-c",
        `source ${scripts.fish}; complete -C"stageflow status --st"; complete -C"stageflow run --log-level "`,
      ],
      { encoding: "utf8" },
    );
    expect(offered).toContain("--status\t");
    expect(offered.split("\n").map((l) => l.split("\t")[0])).toEqual(
      expect.arrayContaining(["debug", "info", "warn", "error"]),
    );
  });

  it("refuses another shell with exit 2", async () => {
    const { code, err } = await stageflow(captureIo(tmp.dir), "completion", "powershell");
    expect(code).toBe(2);
    expect(err).toContain("expected bash, zsh or fish, got 'powershell'");
  });
});
