/**
 * The architecture's one rule: `src/engine/` imports nothing from GitHub, Probot, Actions, HTTP
 * servers, SQLite or the other folders of `src/`, and its modules import each other without
 * cycles. And the CLI is a host like any other: it uses the engine, the step kinds and the journal
 * only through the package's entry points. Used by `npm run check` and by tests.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

export const root = resolve(dirname(new URL(import.meta.url).pathname), "..");
const engineDir = join(root, "src", "engine");
const cliDir = join(root, "src", "cli");

/**
 * What the CLI may import from outside src/cli: the package's entry points, `stageflow`
 * (src/index.ts), `stageflow/sqlite` (src/sqlite.ts) and `stageflow/render` (src/render.ts, the
 * GitHub report templates that `run --github-preview` renders). No exceptions.
 */
export const CLI_ENTRY_POINTS: readonly string[] = [
  "src/index.js",
  "src/sqlite.js",
  "src/render.js",
  "src/observe/index.js",
];

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

/** An import in a source file: its specifier, the file and line, and where a relative one points. */
interface Import {
  file: string;
  spec: string;
  /** `path:line`, relative to the root, for messages. */
  where: string;
  /** The resolved path of a relative specifier (as written: `.js`, no extension lookup). */
  target: string | undefined;
}

/** Every import of every source file under `dir`. */
function* importsUnder(dir: string): Generator<Import> {
  for (const file of sourceFiles(dir)) {
    const text = readFileSync(file, "utf8");
    for (const match of text.matchAll(SPECIFIER)) {
      const spec = match[1]!;
      const line = text.slice(0, match.index).split("\n").length;
      const target = spec.startsWith(".") ? resolve(dirname(file), spec) : undefined;
      yield { file, spec, where: `${relative(root, file)}:${line}`, target };
    }
  }
}

export function engineViolations(): string[] {
  const problems: string[] = [];
  for (const { spec, where, target } of importsUnder(engineDir)) {
    if (target !== undefined) {
      if (!target.startsWith(engineDir + "/") && target !== engineDir)
        problems.push(`${where}: imports ${spec} (outside src/engine)`);
    } else if (FORBIDDEN_PACKAGES.some((p) => spec === p || spec.startsWith(p.endsWith("/") ? p : `${p}/`))) {
      problems.push(`${where}: imports ${spec}`);
    }
  }
  return problems;
}

/** Imports in src/cli of anything outside src/cli other than the package's entry points. */
export function cliViolations(): string[] {
  const problems: string[] = [];
  for (const { spec, where, target } of importsUnder(cliDir)) {
    if (target === undefined) continue;
    if (target.startsWith(cliDir + "/") || CLI_ENTRY_POINTS.includes(relative(root, target))) continue;
    problems.push(`${where}: imports ${spec} (the CLI uses ${CLI_ENTRY_POINTS.join(" or ")} only)`);
  }
  return problems;
}

/** The source file a relative import's target is: the `.ts` file for a `.js` specifier, or the folder's index. */
function resolveImport(target: string, files: Set<string>): string | undefined {
  const candidates = [target, target.replace(/\.js$/, ".ts"), `${target}.ts`, join(target, "index.ts")];
  return candidates.find((c) => files.has(c));
}

/**
 * Import cycles among the files of `dir` (default src/engine), each as the list of files around
 * the cycle, e.g. `a.ts -> b.ts -> a.ts`. Type-only imports count too: a cycle of types still ties
 * two modules together. A depth-first search over the import graph: empty when there is no cycle,
 * and otherwise at least one cycle for each group of files that import each other.
 */
export function engineCycles(dir: string = engineDir): string[] {
  const files = new Set(sourceFiles(dir));
  const deps = new Map<string, Set<string>>([...files].map((file) => [file, new Set<string>()]));
  for (const { file, target } of importsUnder(dir)) {
    const found = target === undefined ? undefined : resolveImport(target, files);
    if (found) deps.get(file)!.add(found);
  }
  const graph = new Map([...deps].map(([file, targets]) => [file, [...targets].sort()]));
  const cycles = new Set<string>();
  const done = new Set<string>();
  const path: string[] = [];
  const onPath = new Set<string>();
  const visit = (file: string): void => {
    if (onPath.has(file)) {
      const loop = path.slice(path.indexOf(file));
      // Rotate so the cycle starts at its smallest file: the same cycle prints the same way.
      const start = loop.indexOf([...loop].sort()[0]!);
      const ordered = [...loop.slice(start), ...loop.slice(0, start)];
      cycles.add([...ordered, ordered[0]!].map((f) => relative(root, f)).join(" -> "));
      return;
    }
    if (done.has(file)) return;
    path.push(file);
    onPath.add(file);
    for (const dep of graph.get(file) ?? []) visit(dep);
    path.pop();
    onPath.delete(file);
    done.add(file);
  };
  for (const file of [...files].sort()) visit(file);
  return [...cycles].sort();
}
