#!/usr/bin/env node
// The GitHub App (`npm run app`; see load-entry.js for how it finds its code).
import { loadEntry } from "./load-entry.js";

const main = await loadEntry("app/main", "stageflow app");
process.exitCode = await main.runApp(process.env);
