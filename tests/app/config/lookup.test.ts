import { describe, expect, it } from "vitest";
import { byLabel, byName, commandWords } from "../../../src/app/config/lookup.js";
import { DEFAULT_SETTINGS } from "../../../src/app/config/settings.js";
import type { InvalidWorkflow, LoadedWorkflow, RepoConfig } from "../../../src/app/config/types.js";
import { parseCommand } from "../../../src/github/commands.js";
import { parseWorkflow } from "../../../src/index.js";

const loaded = (name: string, labels: string[], commands: string[]): LoadedWorkflow => {
  const text = `name: ${name}\non: { labels: [${labels.join(", ")}], commands: [${commands.join(", ")}] }\nstages: [{ id: s, steps: [{ id: a, wait: 1s }] }]\n`;
  const plan = parseWorkflow(text, { file: `${name}.yml`, kinds: new Map() });
  return { file: `.github/stageflow/${name}.yml`, sha: "0".repeat(40), plan, name, labels, commands };
};
const broken = (
  file: string,
  name: string | undefined,
  labels: string[],
  commands: string[],
): InvalidWorkflow => ({
  file,
  ...(name === undefined ? {} : { name }),
  labels,
  commands,
  problems: [{ file, line: 3, column: 9, message: "stages: expected a list, got number 3" }],
});

const config: RepoConfig = {
  settings: DEFAULT_SETTINGS,
  workflows: [loaded("deploy", ["Ship-It"], ["deploy"]), loaded("triage", ["needs-triage"], [])],
  problems: [],
  invalid: [
    broken(".github/stageflow/release.yml", "release", ["release"], ["release", "deploy"]),
    broken(".github/stageflow/x.yml", undefined, ["needs-triage"], ["x"]),
  ],
  templates: new Map(),
  commands: new Map([["deploy", "deploy"]]),
};

describe("lookups in a repository's configuration", () => {
  it("commandWords: loaded workflows win; broken files' commands are known so they get an answer", () => {
    expect(commandWords(config)).toEqual(
      new Map([
        ["deploy", "deploy"],
        ["release", "release"],
        ["x", ".github/stageflow/x.yml"],
      ]),
    );
    const parsed = parseCommand("/release version=1", {
      prefix: "/stageflow",
      commands: commandWords(config),
    });
    expect(parsed).toMatchObject({ kind: "run", workflow: "release" });
    expect(byName(config, "release")).toEqual({ workflows: [], invalid: [config.invalid[0]] });
    expect(byName(config, ".github/stageflow/x.yml").invalid).toEqual([config.invalid[1]]);
    expect(byName(config, "deploy")).toEqual({ workflows: [config.workflows[0]], invalid: [] });
    expect(byName(config, "nope")).toEqual({ workflows: [], invalid: [] });
  });

  it("byLabel: case-insensitive, loaded workflows and broken files alike", () => {
    expect(byLabel(config, "ship-it").workflows.map((w) => w.name)).toEqual(["deploy"]);
    expect(byLabel(config, "needs-triage")).toEqual({
      workflows: [config.workflows[1]],
      invalid: [config.invalid[1]],
    });
    expect(byLabel(config, "bug")).toEqual({ workflows: [], invalid: [] });
  });
});
