import { describeGroupCommit } from "./group-commit-suite.js";

// The same suite runs on node:sqlite under Node 24: tests/store/node-sqlite.node24.ts.
describeGroupCommit("better-sqlite3");
