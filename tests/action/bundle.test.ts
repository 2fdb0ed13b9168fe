/**
 * The Action's start-up path (docs/decisions/0012): one committed bundle, action/main.mjs, that
 * runs under the Node that action.yml declares with nothing installed, and says clearly why it
 * cannot run on an older Node.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { ACTION_BUNDLE, bundleAction } from "../../scripts/build-action.mjs";
import { journalDriverProblem } from "../../src/action/entry.js";
import { parseCommands } from "../support/action-runner.js";

const root = resolve(import.meta.dirname, "../..");

describe("the Action's bundle", () => {
  it("is the bundle of the sources (run `npm run build:action` and commit when this fails)", async () => {
    expect(readFileSync(ACTION_BUNDLE, "utf8") === (await bundleAction())).toBe(true);
  });

  it("is what action.yml runs, under node24, and carries no native module", () => {
    const action = parse(readFileSync(join(root, "action.yml"), "utf8")) as { runs: { using: string; main: string } };
    expect(action.runs).toEqual({ using: "node24", main: "action/main.mjs" });
    const text = readFileSync(ACTION_BUNDLE, "utf8");
    expect(text).not.toMatch(/better_sqlite3\.node|bindings\(/);
  });

  it("on a Node without node:sqlite's backup it fails with a clear message, not a crash", () => {
    expect(journalDriverProblem("20.19.0")).toMatch(/needs Node 22\.16 or later .* runs Node 20\.19\.0/);
    expect(journalDriverProblem("22.15.1")).toMatch(/needs Node 22\.16/);
    expect(journalDriverProblem("22.16.0")).toBeNull();
    expect(journalDriverProblem("24.0.0")).toBeNull();
    // This machine's Node 20 stands for an old self-hosted runner.
    const ws = mkdtempSync(join(tmpdir(), "sf-old-node-"));
    try {
      const run = spawnSync(process.execPath, [ACTION_BUNDLE], {
        cwd: ws,
        env: { PATH: process.env.PATH, GITHUB_WORKSPACE: ws, RUNNER_TEMP: ws, INPUT_WORKFLOW: "flow.yml" },
        encoding: "utf8",
      });
      if (Number(process.versions.node.split(".")[0]) >= 23) return; // not an old Node here
      expect(run.status).toBe(1);
      expect(run.stderr).toBe("");
      expect(parseCommands(run.stdout)).toContainEqual(
        expect.objectContaining({ command: "error", message: expect.stringMatching(/needs Node 22\.16 or later/) }),
      );
      // No GITHUB_OUTPUT file here: @actions/core sets the output with a command.
      expect(parseCommands(run.stdout)).toContainEqual({ command: "set-output", props: { name: "status" }, message: "invalid" });
    } finally {
      rmSync(ws, { recursive: true, force: true });
    }
  });
});
