#!/usr/bin/env node
// The `stageflow` command. In a checkout (src/ present and tsx installed, as after `npm ci`) it
// runs the TypeScript source through tsx, so it works without a build and is never stale; an
// installed package (no devDependencies) runs the compiled dist/.
import { existsSync } from "node:fs";
import { createRequire } from "node:module";

const source = new URL("../src/cli/main.ts", import.meta.url);

/** tsx's ESM loader API, when it is installed next to this checkout. */
async function tsxApi() {
  try {
    createRequire(import.meta.url).resolve("tsx/package.json");
  } catch {
    return undefined;
  }
  return import("tsx/esm/api");
}

const compiled = new URL("../dist/cli/main.js", import.meta.url);
const tsx = existsSync(source) ? await tsxApi() : undefined;
if (!tsx && !existsSync(compiled)) {
  process.stderr.write(
    "stageflow: no compiled CLI in dist/ and no tsx to run the source: run `npm ci`, or `npm run build`\n",
  );
  process.exit(1);
}
const main = tsx ? await tsx.tsImport(source.href, import.meta.url) : await import(compiled.href);

process.exitCode = await main.run(process.argv);
