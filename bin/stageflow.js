#!/usr/bin/env node
// Installed entry point: the compiled CLI. During development use `npm run stageflow -- ...`.
import { run } from "../dist/cli/main.js";

process.exitCode = await run(process.argv);
