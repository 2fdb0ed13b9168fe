#!/usr/bin/env node
// The `stageflow` command (see load-entry.js for how it finds its code).
import { loadEntry } from "./load-entry.js";

const main = await loadEntry("cli/main", "stageflow");
process.exitCode = await main.run(process.argv);
