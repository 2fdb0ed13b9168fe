import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

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
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: "forks",
    // CI (2 cores): most files wait on child processes, so a third worker shortens the run.
    ...(process.env.CI && process.env.CI !== "false" ? { maxWorkers: 3 } : {}),
  },
});
