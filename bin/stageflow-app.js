#!/usr/bin/env node
// The GitHub App (`npm run app`). Like bin/stageflow.js: in a checkout (src/ present and tsx
// installed, as after `npm ci`) it runs the TypeScript source through tsx; an installed package
// runs the compiled dist/.
import { existsSync } from "node:fs";
import { createRequire } from "node:module";

const source = new URL("../src/app/main.ts", import.meta.url);

/** tsx's ESM loader API, when it is installed next to this checkout. */
async function tsxApi() {
  try {
    createRequire(import.meta.url).resolve("tsx/package.json");
  } catch {
    return undefined;
  }
  return import("tsx/esm/api");
}

const compiled = new URL("../dist/app/main.js", import.meta.url);
const tsx = existsSync(source) ? await tsxApi() : undefined;
if (!tsx && !existsSync(compiled)) {
  process.stderr.write(
    "stageflow app: no compiled app in dist/ and no tsx to run the source: run `npm ci`, or `npm run build`\n",
  );
  process.exit(1);
}
const main = tsx ? await tsx.tsImport(source.href, import.meta.url) : await import(compiled.href);

process.exitCode = await main.runApp(process.env);
