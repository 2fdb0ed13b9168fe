import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { childEntry } from "../support/child-code.js";

const root = fileURLToPath(new URL("../..", import.meta.url));

/**
 * Imports one entry point (its source, transpiled: tests/support/child-code.ts) in a fresh process and returns the files of
 * better-sqlite3, and any native addon, that importing it loaded. Modules an ESM graph loads
 * from CommonJS packages are in the CommonJS loader's cache, so that cache shows them.
 */
async function nativeModulesLoadedBy(entry: string, then = ""): Promise<string[]> {
  const script = [
    "import { createRequire } from 'node:module';",
    "const m = await import(process.argv[1]);",
    then,
    "const cache = Object.keys(createRequire(import.meta.url).cache);",
    "console.log(JSON.stringify(cache.filter((p) => /better-sqlite3|\\.node$/.test(p))));",
  ].join("\n");
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ["--input-type=module", "-e", script, childEntry(`src/${entry}`)],
    { cwd: root },
  );
  return JSON.parse(stdout) as string[];
}

describe("entry points and native modules", () => {
  it("`stageflow` and `stageflow/testing` load no native module; `stageflow/sqlite` loads better-sqlite3 when a journal opens", async () => {
    expect(await nativeModulesLoadedBy("index.ts")).toEqual([]);
    expect(await nativeModulesLoadedBy("testing/index.ts")).toEqual([]);
    // Loaded lazily (the node:sqlite driver needs no addon): not by the import alone.
    expect(await nativeModulesLoadedBy("sqlite.ts")).toEqual([]);
    const opened = await nativeModulesLoadedBy(
      "sqlite.ts",
      "await m.createSqliteJournal({ path: ':memory:' }).close();",
    );
    expect(opened).toContainEqual(expect.stringMatching(/better-sqlite3/));
  });
});
