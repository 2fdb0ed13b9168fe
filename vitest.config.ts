import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";
import { BaseSequencer, type TestSpecification } from "vitest/node";

/**
 * The files that take longest (real child processes, npm pack, 1,000-run suites), started first:
 * without vitest's timing cache (a clean clone on CI) files go in order of size, and a long file
 * started last made the run's tail.
 */
const LONGEST_FIRST = [
  "tests/api/pack.test.ts",
  "tests/recovery/crash-resume.test.ts",
  "tests/action/action.e2e.test.ts",
  "tests/recovery/orphans.test.ts",
  "tests/app/crash.test.ts",
  "tests/recovery/fault-injection.test.ts",
  "tests/api/parked-many.test.ts",
  "tests/cli/faults.test.ts",
  "tests/recovery/cancel-and-interrupted.test.ts",
  "tests/cli/entry.test.ts",
];

class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (f: TestSpecification) => {
      const i = LONGEST_FIRST.findIndex((name) => f.moduleId.endsWith(name));
      return i < 0 ? LONGEST_FIRST.length : i;
    };
    return [...(await super.sort(files))].sort((a, b) => rank(a) - rank(b));
  }
}

const src = (path: string): string => fileURLToPath(new URL(`./src/${path}`, import.meta.url));

export default defineConfig({
  // Tests of the public API import the package by name, as a host does; here it is the source.
  resolve: {
    alias: [
      { find: /^stageflow\/sqlite$/, replacement: src("sqlite.ts") },
      { find: /^stageflow\/testing$/, replacement: src("testing/index.ts") },
      { find: /^stageflow\/render$/, replacement: src("render.ts") },
      { find: /^stageflow\/observe$/, replacement: src("observe/index.ts") },
      { find: /^stageflow$/, replacement: src("index.ts") },
    ],
  },
  test: {
    // The node:sqlite suite runs under Node 24, spawned by tests/store/node-sqlite.test.ts.
    include:
      process.env.STAGEFLOW_SQLITE_DRIVER === "node:sqlite"
        ? ["tests/store/node-sqlite.node24.ts"]
        : ["tests/**/*.test.ts"],
    environment: "node",
    // Child processes run the sources transpiled once (tests/support/child-code.ts), not through tsx.
    globalSetup: ["tests/support/global-setup.ts"],
    sequence: { sequencer: LongestFirst },
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: "forks",
    // CI (2 cores): most files wait on child processes, so a third worker shortens the run.
    ...(process.env.CI && process.env.CI !== "false" ? { maxWorkers: 3 } : {}),
  },
});
