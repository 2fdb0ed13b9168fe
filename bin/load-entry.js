// How stageflow's commands find their code: in a checkout (src/ present and tsx installed, as
// after `npm ci`) they run the TypeScript source through tsx, so they work without a build and are
// never stale; an installed package (no devDependencies) runs the compiled dist/.
import { existsSync } from "node:fs";
import { createRequire } from "node:module";

/** tsx's ESM loader API, when it is installed next to this checkout. */
async function tsxApi() {
  try {
    createRequire(import.meta.url).resolve("tsx/package.json");
  } catch {
    return undefined;
  }
  return import("tsx/esm/api");
}

/**
 * Imports `src/<entry>.ts` (through tsx) or `dist/<entry>.js`; exits 1 with a message naming
 * `what` when neither can run.
 */
export async function loadEntry(entry, what) {
  const source = new URL(`../src/${entry}.ts`, import.meta.url);
  const compiled = new URL(`../dist/${entry}.js`, import.meta.url);
  const tsx = existsSync(source) ? await tsxApi() : undefined;
  if (!tsx && !existsSync(compiled)) {
    process.stderr.write(
      `${what}: no compiled code in dist/ and no tsx to run the source: run \`npm ci\`, or \`npm run build\`\n`,
    );
    process.exit(1);
  }
  return tsx ? tsx.tsImport(source.href, import.meta.url) : import(compiled.href);
}
