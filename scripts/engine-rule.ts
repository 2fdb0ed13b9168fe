/**
 * The architecture's one rule: `src/engine/` imports nothing from GitHub, Probot, Actions, HTTP
 * servers, SQLite or the other folders of `src/`. And the CLI is a host like any other: it uses
 * the engine, the step kinds and the journal only through the package's entry points. Used by
 * `npm run check` and by tests.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

export const root = resolve(dirname(new URL(import.meta.url).pathname), "..");
const engineDir = join(root, "src", "engine");
const cliDir = join(root, "src", "cli");

/**
 * What the CLI may import from outside src/cli: the package's entry points, `stageflow`
 * (src/index.ts) and `stageflow/sqlite` (src/sqlite.ts). No exceptions.
 */
export const CLI_ENTRY_POINTS: readonly string[] = ["src/index.js", "src/sqlite.js"];

/** Packages the engine must not import (prefix match on the specifier). */
const FORBIDDEN_PACKAGES = [
  "better-sqlite3",
  "probot",
  "@probot/",
  "@octokit/",
  "octokit",
  "@actions/",
  "node:http",
  "node:https",
  "node:http2",
  "node:net",
  "http",
  "https",
  "express",
  "prom-client",
  "nodemailer",
];

function* sourceFiles(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* sourceFiles(path);
    else if (/\.(ts|js|mts|cts)$/.test(entry.name)) yield path;
  }
}

const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|\brequire\s*\(\s*)["']([^"']+)["']/g;

export function engineViolations(): string[] {
  const problems: string[] = [];
  for (const file of sourceFiles(engineDir)) {
    const text = readFileSync(file, "utf8");
    for (const match of text.matchAll(SPECIFIER)) {
      const spec = match[1]!;
      const line = text.slice(0, match.index).split("\n").length;
      const where = `${relative(root, file)}:${line}`;
      if (spec.startsWith(".")) {
        const target = resolve(dirname(file), spec);
        if (!target.startsWith(engineDir + "/") && target !== engineDir)
          problems.push(`${where}: imports ${spec} (outside src/engine)`);
      } else if (
        FORBIDDEN_PACKAGES.some((p) => spec === p || spec.startsWith(p.endsWith("/") ? p : `${p}/`))
      ) {
        problems.push(`${where}: imports ${spec}`);
      }
    }
  }
  return problems;
}

/** Imports in src/cli of anything outside src/cli other than the package's entry points. */
export function cliViolations(): string[] {
  const problems: string[] = [];
  for (const file of sourceFiles(cliDir)) {
    const text = readFileSync(file, "utf8");
    for (const match of text.matchAll(SPECIFIER)) {
      const spec = match[1]!;
      if (!spec.startsWith(".")) continue;
      const target = resolve(dirname(file), spec);
      if (target.startsWith(cliDir + "/") || CLI_ENTRY_POINTS.includes(relative(root, target))) continue;
      const line = text.slice(0, match.index).split("\n").length;
      problems.push(
        `${relative(root, file)}:${line}: imports ${spec} (the CLI uses ${CLI_ENTRY_POINTS.join(" or ")} only)`,
      );
    }
  }
  return problems;
}
