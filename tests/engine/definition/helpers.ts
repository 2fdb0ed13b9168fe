import { readFileSync } from "node:fs";
import { expect } from "vitest";
import { isWorkflowError, parseWorkflow, type WorkflowError } from "../../../src/engine/definition/index.js";
import type { StepHandler } from "../../../src/engine/handler.js";

const FIXTURES = new URL("../../fixtures/workflows/", import.meta.url);

/** Stand-in handlers: the definition layer only needs to know which kinds exist. */
export function standInKinds(
  names = ["run", "http", "wait"],
  extra: Record<string, Partial<StepHandler>> = {},
) {
  const kinds = new Map<string, StepHandler>();
  for (const name of names) kinds.set(name, { execute: async () => ({}), ...extra[name] });
  return kinds;
}

export const kinds = standInKinds();

export function fixture(name: string): string {
  return readFileSync(new URL(name, FIXTURES), "utf8");
}

/** The WorkflowError a call throws (fails the test when it does not throw one). */
export function workflowError(fn: () => unknown): WorkflowError {
  try {
    fn();
  } catch (e) {
    if (isWorkflowError(e)) return e;
    throw e;
  }
  expect.fail("expected a WorkflowError");
}

/** The formatted problem lines of parsing `text` as `file`. */
export function problemLines(text: string, file = "test.yml", kindsMap = kinds): string[] {
  return workflowError(() => parseWorkflow(text, { file, kinds: kindsMap })).message.split("\n");
}

/** YAML text from lines, so tests can count lines at a glance. */
export const yaml = (...lines: string[]) => `${lines.join("\n")}\n`;
