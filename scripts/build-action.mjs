#!/usr/bin/env node
// Bundles the Action (src/action/main.ts) into action/main.mjs: one ESM file, Node 24, with every
// dependency inside except the native better-sqlite3 (the Action's journal is node:sqlite).
// `--check` rebuilds in memory and fails when the committed bundle differs (CI runs it in a test).
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const ACTION_BUNDLE = join(root, "action", "main.mjs");

export async function bundleAction() {
  const result = await build({
    absWorkingDir: root,
    entryPoints: ["src/action/main.ts"],
    bundle: true,
    platform: "node",
    target: "node24",
    format: "esm",
    write: false,
    legalComments: "none",
    minify: true,
    keepNames: true,
    external: ["better-sqlite3"],
    // CommonJS dependencies call require(); give the ESM bundle one.
    banner: {
      js: 'import { createRequire as __stageflowRequire } from "node:module"; const require = __stageflowRequire(import.meta.url);',
    },
    logLevel: "error",
  });
  return result.outputFiles[0].text;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const text = await bundleAction();
  if (process.argv.includes("--check")) {
    let committed = "";
    try {
      committed = readFileSync(ACTION_BUNDLE, "utf8");
    } catch {
      // missing: differs
    }
    if (committed !== text) {
      process.stderr.write(
        "action/main.mjs is not the bundle of the sources: run `npm run build:action` and commit it\n",
      );
      process.exit(1);
    }
  } else {
    mkdirSync(dirname(ACTION_BUNDLE), { recursive: true });
    writeFileSync(ACTION_BUNDLE, text);
    process.stdout.write(`action/main.mjs: ${(Buffer.byteLength(text) / 1024).toFixed(0)} KiB\n`);
  }
}
