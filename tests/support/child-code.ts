/**
 * The code child processes run: the sources (src/) and the non-test files under tests/ (the
 * fixtures children start from), transpiled to JavaScript in `.test-dist/` once per `vitest run`
 * (tests/support/global-setup.ts), the way an installed package runs its compiled dist/.
 *
 * A child started with `node --import tsx file.ts` spends about 0.4 s of CPU in tsx's loader
 * before it runs anything; the suites start hundreds of them (crash, SIGTERM, ownership, CLI).
 * The layout mirrors the repository, so paths a module finds from its own location
 * (`../../package.json`, `templates/`) are linked beside it, and packages resolve from the
 * repository's node_modules. `bin/stageflow.js` (tsx in a checkout) keeps its own tests.
 */
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const CHILD_CODE = join(ROOT, ".test-dist");
/** What modules under src/ find from their own location. */
const LINKED = ["package.json", "templates"];

/**
 * The transpiled file of a source or fixture, e.g. `childEntry("src/cli/bin.ts")`: an absolute
 * path to run with plain `node`.
 */
export function childEntry(source: string): string {
  const rel = relative(ROOT, resolve(ROOT, source));
  if (rel.startsWith("..") || !rel.endsWith(".ts"))
    throw new Error(`not a source of this repository: ${source}`);
  return join(CHILD_CODE, rel.replace(/\.ts$/, ".js"));
}

function sources(dir: string, keep: (file: string) => boolean): string[] {
  return (readdirSync(join(ROOT, dir), { recursive: true }) as string[])
    .filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts") && keep(f))
    .map((f) => join(dir, f));
}

/**
 * Transpiles src/ and tests/ (not the *.test.ts files) into `.test-dist/`. A file is written only
 * when its text changed, through a rename: a nested `vitest run` (the node:sqlite suite) or a
 * second one never hands a running child half a file.
 */
export async function transpileChildCode(): Promise<{ files: number; written: number }> {
  const { build } = await import("esbuild");
  const entryPoints = [...sources("src", () => true), ...sources("tests", (f) => !f.endsWith(".test.ts"))];
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints,
    outdir: CHILD_CODE,
    outbase: ".",
    format: "esm",
    platform: "node",
    target: "node20",
    bundle: false,
    write: false,
    logLevel: "error",
  });
  let written = 0;
  for (const file of result.outputFiles) {
    if (existsSync(file.path) && readFileSync(file.path, "utf8") === file.text) continue;
    mkdirSync(dirname(file.path), { recursive: true });
    const tmp = `${file.path}.${process.pid}.tmp`;
    writeFileSync(tmp, file.text);
    renameSync(tmp, file.path);
    written++;
  }
  for (const name of LINKED) {
    const link = join(CHILD_CODE, name);
    if (!existsSync(link)) symlinkSync(join("..", name), link);
  }
  return { files: result.outputFiles.length, written };
}
