import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { githubSteps, parseWorkflow, type StepHandler } from "../../../src/index.js";
import { MemoryDispatches } from "../../support/memory-dispatches.js";

const dir = new URL("../../../examples/github/", import.meta.url);
const workflowFiles = readdirSync(dir).filter((f) => f.endsWith(".yml") && f !== "stageflow.yml");

/** The app's step kinds, as the app registers them (their clients are never made here). */
const kinds = new Map<string, StepHandler>(
  Object.entries(
    githubSteps({
      clientFor: () => Promise.reject(new Error("no client in a validation test")),
      dispatches: new MemoryDispatches(),
    }),
  ),
);

describe("the example workflows of examples/github", () => {
  it("are the three documented ones", () => {
    expect(workflowFiles.sort()).toEqual(["deploy.yml", "release.yml", "triage.yml"]);
  });

  it.each(workflowFiles)(
    "%s validates with the app's github, dispatch and approval kinds (methods checked against Octokit's list)",
    (file) => {
      const text = readFileSync(new URL(file, dir), "utf8");
      const plan = parseWorkflow(text, { file: `examples/github/${file}`, kinds });
      expect(plan.on.labels.length + plan.on.commands.length).toBeGreaterThan(0);
      const used = plan.stages.flatMap((s) => s.steps.map((step) => step.kind));
      expect(used.every((k) => kinds.has(k))).toBe(true);
    },
  );

  it("trigger as documented: a label for triage, /deploy and /release", () => {
    const plans = Object.fromEntries(
      workflowFiles.map((file) => {
        const plan = parseWorkflow(readFileSync(new URL(file, dir), "utf8"), { file, kinds });
        return [plan.name, plan];
      }),
    );
    expect(plans.triage?.on).toEqual({ labels: ["needs-triage"], commands: [] });
    expect(plans.deploy?.on.commands).toEqual(["deploy"]);
    expect(plans.deploy?.inputs.env).toMatchObject({ type: "choice", default: "staging" });
    expect(plans.release?.on.commands).toEqual(["release"]);
    expect(plans.release?.inputs.version).toMatchObject({ type: "string", required: true });
  });
});
