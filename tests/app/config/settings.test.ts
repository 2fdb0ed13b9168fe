import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { formatProblem } from "../../../src/app/config/problems.js";
import { DEFAULT_SETTINGS, parseSettings } from "../../../src/app/config/settings.js";

const lines = (text: string) => parseSettings(text).problems.map(formatProblem);

describe("parseSettings", () => {
  it("an empty file (or one with only comments) means the defaults", () => {
    expect(parseSettings("")).toEqual({ settings: DEFAULT_SETTINGS, problems: [] });
    expect(parseSettings("# nothing yet\n")).toEqual({ settings: DEFAULT_SETTINGS, problems: [] });
    expect(DEFAULT_SETTINGS).toEqual({
      command_prefix: "/stageflow",
      permission: "write",
      teams: [],
      allow_bots: false,
      needs_trust: [],
    });
  });

  it("reads every key", () => {
    const text = [
      "command_prefix: /sf",
      "permission: maintain",
      "teams: [acme/release-managers, acme/sre]",
      "allow_bots: true",
      "needs_trust: ['*']",
    ].join("\n");
    expect(parseSettings(text)).toEqual({
      settings: {
        command_prefix: "/sf",
        permission: "maintain",
        teams: ["acme/release-managers", "acme/sre"],
        allow_bots: true,
        needs_trust: ["*"],
      },
      problems: [],
    });
  });

  it("reports each wrong value at its line and column, and keeps the valid keys", () => {
    const text = [
      "# settings",
      "permission: admni",
      "teams:",
      "  - acme/sre",
      "  - just-a-team",
      "allow_bots: yes please",
      "command_prefix: stageflow",
    ].join("\n");
    const { settings, problems } = parseSettings(text);
    expect(problems.map(formatProblem)).toEqual([
      ".github/stageflow.yml:2:13 permission: expected one of read, triage, write, maintain, admin, got string 'admni'",
      ".github/stageflow.yml:5:5 teams[1]: must be 'org/team-slug', got string 'just-a-team'",
      ".github/stageflow.yml:6:13 allow_bots: expected a boolean (true or false), got string 'yes please'",
      ".github/stageflow.yml:7:17 command_prefix: must be '/' and a word of letters, digits, '_', '-' or '.', got string 'stageflow'",
    ]);
    // the keys in error keep their defaults (the app refuses to act while there are problems)
    expect(settings).toEqual(DEFAULT_SETTINGS);
    expect(parseSettings("permission: admin\nallow_bot: true\n").settings.permission).toBe("admin");
  });

  it("an unknown key is an error at the key, with a suggestion", () => {
    expect(lines("allow_bots: false\npermision: admin\n")).toEqual([
      ".github/stageflow.yml:2:1 unknown key 'permision' (did you mean 'permission'?) (known: command_prefix, permission, teams, allow_bots, needs_trust)",
    ]);
    expect(lines("colour: blue\n")[0]).toMatch(
      /^\.github\/stageflow\.yml:1:1 unknown key 'colour' \(known: /,
    );
  });

  it("malformed YAML and duplicate keys are reported with their position, and a custom file name", () => {
    const { problems, settings } = parseSettings("permission: admin\npermission: read\n", "cfg/x.yml");
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ file: "cfg/x.yml", line: 2, column: 1 });
    expect(problems[0]?.message).toMatch(/unique/);
    expect(settings).toEqual(DEFAULT_SETTINGS);
    expect(lines("teams: [acme/sre\n")[0]).toMatch(/^\.github\/stageflow\.yml:\d+:\d+ /);
  });

  it("a root that is not a mapping, and a file past the size limit, are problems", () => {
    expect(lines("- permission: admin\n")).toEqual([
      ".github/stageflow.yml:1:1 the settings file must be a mapping of command_prefix, permission, teams, allow_bots, needs_trust",
    ]);
    expect(lines(`# ${"x".repeat(70_000)}`)[0]).toMatch(/at most 65536 are read/);
  });

  it("the example settings file of examples/github parses without problems", () => {
    const text = readFileSync(new URL("../../../examples/github/stageflow.yml", import.meta.url), "utf8");
    const { settings, problems } = parseSettings(text, "examples/github/stageflow.yml");
    expect(problems).toEqual([]);
    expect(settings).not.toEqual(DEFAULT_SETTINGS);
  });
});
