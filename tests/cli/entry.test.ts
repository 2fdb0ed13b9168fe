import { execFile } from "node:child_process";
import { readFileSync, statSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "./helpers.js";

const repo = fileURLToPath(new URL("../../", import.meta.url));
const bin = join(repo, "bin/stageflow.js");

/** A real child process: exit code, stdout, stderr. */
function spawn(
  cwd: string,
  file: string,
  args: string[],
): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(
      file,
      args,
      { cwd, env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "" }, timeout: 120_000 },
      (error, stdout, stderr) => {
        const code = error ? (error as { code?: unknown }).code : 0;
        resolve({ code: typeof code === "number" ? code : -1, out: stdout, err: stderr });
      },
    );
  });
}

describe("the stageflow command as a new user meets it", () => {
  const tmp = tempDir();
  beforeAll(() => {
    // A checkout without dist/: the package's files, linked into a directory of its own, so
    // `npm start` and `npx stageflow` write their default journal there.
    for (const name of ["package.json", "bin", "src", "templates", "examples", "node_modules"]) {
      symlinkSync(join(repo, name), tmp.path(name));
    }
  });
  afterAll(() => tmp.cleanup());

  it("bin/stageflow.js is executable and runs without a build", async () => {
    expect(statSync(bin).mode & 0o111).toBe(0o111);
    const version = JSON.parse(readFileSync(join(repo, "package.json"), "utf8")).version;
    const r = await spawn(tmp.dir, bin, ["--version"]);
    expect(r).toEqual({ code: 0, out: `${version}\n`, err: "" });
  });

  it(
    "npm start, then npx stageflow status, shows the demo run (one default journal)",
    { timeout: 120_000 },
    async () => {
      const start = await spawn(tmp.dir, "npm", ["start", "--silent"]);
      expect(start.code).toBe(0);
      expect(start.out).toMatch(/^run [0-9a-f-]{36} \(demo-release\)$/m);
      // What the GitHub App would post for the demo run (run --github-preview .stageflow/demo).
      expect(start.err).toContain(".stageflow/demo/check-run.md, .stageflow/demo/comment.md");
      expect(readFileSync(tmp.path(".stageflow/demo/check-run.md"), "utf8")).toContain(
        "demo-release degraded",
      );
      expect(readFileSync(tmp.path(".stageflow/demo/comment.md"), "utf8")).toContain("<!-- stageflow:run:");
      const status = await spawn(tmp.dir, "npx", ["stageflow", "status", "--json"]);
      expect(status.code).toBe(0);
      const runs = JSON.parse(status.out); // nothing but the document on stdout
      expect(runs.map((r: { workflow: string }) => r.workflow)).toEqual(["demo-release"]);
      const run = await spawn(tmp.dir, "npm", ["run", "-s", "stageflow", "--", "status", "--json"]);
      expect(JSON.parse(run.out)).toEqual(runs);
    },
  );
});
