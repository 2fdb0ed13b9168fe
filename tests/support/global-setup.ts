/**
 * Before any test file: the code child processes run (tests/support/child-code.ts); in watch
 * mode again before every rerun, so children never run code older than the tests' own.
 */
import type { TestProject } from "vitest/node";
import { transpileChildCode } from "./child-code.js";

export default async function setup(project: TestProject): Promise<void> {
  await transpileChildCode();
  project.onTestsRerun(async () => {
    await transpileChildCode();
  });
}
