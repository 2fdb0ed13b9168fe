import { execFile } from "node:child_process";
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const repo = fileURLToPath(new URL("../..", import.meta.url));
const run = promisify(execFile);

/** The fenced block after `<!-- example-host -->` in docs/engine-api.md. */
function exampleHost(markdown: string): string {
  const found = /<!-- example-host -->\s*```js\n([\s\S]*?)```/.exec(markdown);
  if (!found?.[1]) throw new Error("docs/engine-api.md: no ```js block after <!-- example-host -->");
  return found[1];
}

/** A host on today's API: a custom kind, the SQLite journal, events, the final status. */
const minimalHost = `
import { builtinSteps, createEngine, parseWorkflow } from "stageflow";
import { createSqliteJournal } from "stageflow/sqlite";
const engine = createEngine({ journal: createSqliteJournal({ path: "state.db" }) });
for (const [kind, handler] of Object.entries(builtinSteps())) engine.register(kind, handler);
engine.register("greet", async (ctx) => ({ text: \`hello \${ctx.config}\` }));
const plan = parseWorkflow(
  "name: hello\\nstages:\\n  - id: s\\n    steps:\\n      - { id: g, greet: world }\\n      - { id: w, wait: 1ms }\\n",
  { file: "hello.yml", kinds: engine.kinds },
);
engine.on((event) => console.log(\`event \${event.type}\`));
const { runId, done } = await engine.start(plan);
const result = await done;
const report = await engine.report(runId);
console.log(\`status: \${result.status}, said: \${report.stages[0].steps[0].outputs.text}\`);
await engine.close();
`;

/** Runs node in `cwd`; stdout and stderr. */
async function node(cwd: string, args: string[]): Promise<{ stdout: string; stderr: string }> {
  return run(process.execPath, args, { cwd, timeout: 60_000 });
}

describe("the package as a host installs it", () => {
  const dir = mkdtempSync(join(tmpdir(), "stageflow-pack-"));
  const host = join(dir, "host");
  let tarball = "";

  beforeAll(async () => {
    // `npm pack` runs `prepack`, which builds dist/ (a few seconds).
    await run("npm", ["pack", "--pack-destination", dir, "--silent"], { cwd: repo, timeout: 120_000 });
    tarball = readdirSync(dir).find((name) => name.endsWith(".tgz")) ?? "";
    mkdirSync(host);
    const dependencies = { stageflow: `file:../${tarball}` };
    writeFileSync(
      join(host, "package.json"),
      JSON.stringify({ name: "host", private: true, type: "module", dependencies }),
    );
    // A lockfile made of the repo's own: the package's dependencies at the versions `npm ci`
    // installed here, so installing needs only tarballs already in the npm cache (offline; a
    // fresh resolution would ask the registry for every package's metadata).
    const lock = JSON.parse(readFileSync(join(repo, "package-lock.json"), "utf8")) as {
      packages: Record<string, { dev?: boolean; dependencies?: Record<string, string> }>;
    };
    const packages: Record<string, unknown> = {
      "": { name: "host", dependencies },
      "node_modules/stageflow": {
        version: "0.1.0",
        resolved: `file:../${tarball}`,
        dependencies: lock.packages[""]?.dependencies,
      },
    };
    for (const [path, entry] of Object.entries(lock.packages)) {
      if (path.startsWith("node_modules/") && !entry.dev) packages[path] = entry;
    }
    writeFileSync(
      join(host, "package-lock.json"),
      JSON.stringify({ name: "host", lockfileVersion: 3, requires: true, packages }),
    );
    // --ignore-scripts: better-sqlite3's install script compiles the addon from source (~75 s).
    // The addon this checkout built is the same version for the same Node, so it is copied in.
    await run("npm", ["ci", "--offline", "--no-audit", "--no-fund", "--ignore-scripts"], {
      cwd: host,
      timeout: 120_000,
    });
    const release = "node_modules/better-sqlite3/build/Release";
    mkdirSync(join(host, release), { recursive: true });
    copyFileSync(join(repo, release, "better_sqlite3.node"), join(host, release, "better_sqlite3.node"));
  }, 300_000);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("publishes the build, the command, the schema, the docs and the report templates; no tests, sources or journals", () => {
    const installed = join(host, "node_modules/stageflow");
    expect(readdirSync(installed).sort()).toEqual([
      "README.md",
      "bin",
      "dist",
      "docs",
      "package.json",
      "schema",
      "templates",
    ]);
    expect(readdirSync(join(installed, "dist")).sort()).toEqual(
      expect.arrayContaining(["index.d.ts", "index.js", "sqlite.d.ts", "sqlite.js", "testing"]),
    );
    expect(readdirSync(join(installed, "dist/testing")).sort()).toEqual([
      "contract",
      "index.d.ts",
      "index.js",
    ]);
    expect(readdirSync(join(installed, "docs"))).not.toContain("decisions");
  });

  it("runs a host written against the entry points, and the stageflow command", async () => {
    writeFileSync(join(host, "minimal.mjs"), minimalHost);
    const { stdout } = await node(host, ["minimal.mjs"]);
    expect(stdout).toContain("event run.started");
    expect(stdout).toContain("status: succeeded, said: hello world");
    const version = await node(host, ["node_modules/stageflow/bin/stageflow.js", "--version"]);
    expect(version.stdout.trim()).toContain("0.1.0");
  });

  it("ships types: a TypeScript host type-checks against the installed package", async () => {
    const consumer = [
      'import { createEngine, type Engine, type RunReport } from "stageflow";',
      'import { createSqliteJournal } from "stageflow/sqlite";',
      'import { describeJournalContract, FakeClock } from "stageflow/testing";',
      'const engine: Engine = createEngine({ journal: createSqliteJournal({ path: "x.db" }), clock: new FakeClock() });',
      'export const report: Promise<RunReport> = engine.report("r1");',
      "export const suite: typeof describeJournalContract = describeJournalContract;",
      "// @ts-expect-error: the types are real, not any",
      "createEngine({ journal: 42 });",
    ].join("\n");
    writeFileSync(join(host, "typed.ts"), consumer);
    const tsc = join(repo, "node_modules/typescript/bin/tsc");
    const options = ["--noEmit", "--strict", "--module", "nodenext", "--moduleResolution", "nodenext"];
    // No @types of its own: the package brings the types its declarations use (better-sqlite3's).
    await expect(node(host, [tsc, ...options, "typed.ts"])).resolves.toBeDefined();
  }, 120_000); // a whole tsc run: slow while other test files share the cores

  it("loads no native module from `stageflow`, and better-sqlite3 from `stageflow/sqlite` when a journal opens", async () => {
    const loaded = async (entry: string, then = ""): Promise<string[]> => {
      const script =
        `import { createRequire } from "node:module"; const m = await import("${entry}"); ${then}` +
        `console.log(JSON.stringify(Object.keys(createRequire(import.meta.url).cache)` +
        `.filter((p) => /better-sqlite3|\\.node$/.test(p))));`;
      return JSON.parse((await node(host, ["--input-type=module", "-e", script])).stdout) as string[];
    };
    expect(await loaded("stageflow")).toEqual([]);
    expect(await loaded("stageflow/testing")).toEqual([]);
    expect(await loaded("stageflow/sqlite")).toEqual([]);
    const open = "await m.createSqliteJournal({ path: ':memory:' }).close();";
    expect(await loaded("stageflow/sqlite", open)).toContainEqual(expect.stringMatching(/better-sqlite3/));
  });

  it("runs the example host of docs/engine-api.md, twice: the second start finds the run", async () => {
    const text = exampleHost(readFileSync(join(repo, "docs/engine-api.md"), "utf8"));
    writeFileSync(join(host, "host.mjs"), text);
    const first = await node(host, ["host.mjs"]);
    expect(first.stdout).toMatch(/status: succeeded/);
    const second = await node(host, ["host.mjs"]);
    expect(second.stdout).toMatch(/already started/);
    expect(second.stdout).toMatch(/status: succeeded/);
  });

  it("keeps the example host of docs/engine-api.md under 60 lines", () => {
    const text = exampleHost(readFileSync(join(repo, "docs/engine-api.md"), "utf8"));
    expect(text.trimEnd().split("\n").length).toBeLessThan(60);
  });
});
