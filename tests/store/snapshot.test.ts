import { describeSnapshots } from "./snapshot-suite.js";

// The same suite runs on node:sqlite under Node 24: tests/store/node-sqlite.test.ts.
describeSnapshots("better-sqlite3");
