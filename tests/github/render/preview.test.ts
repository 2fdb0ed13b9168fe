import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { spawnCli } from "../../cli/cli-process.js";
import { tempDir } from "../../cli/helpers.js";

const repo = fileURLToPath(new URL("../../../", import.meta.url));

describe("the demo shows the GitHub side", () => {
  const tmp = tempDir("stageflow-preview-");
  afterAll(() => tmp.cleanup());

  it("npm start runs the demo with --github-preview .stageflow/demo", () => {
    const pkg = JSON.parse(readFileSync(join(repo, "package.json"), "utf8"));
    expect(pkg.scripts.start).toBe(
      "node bin/stageflow.js run examples/demo.yml --github-preview .stageflow/demo",
    );
  });

  it(
    "run --github-preview writes the check run and the comment the app would post, from the same templates",
    { timeout: 120_000 },
    async () => {
      tmp.write("demo.yml", readFileSync(join(repo, "examples/demo.yml"), "utf8"));
      const r = await spawnCli(tmp.dir, ["run", "demo.yml", "--github-preview", ".stageflow/demo"]);
      expect(r.code).toBe(0);
      expect(r.err).toContain(
        "GitHub preview (what the app would post for this run): .stageflow/demo/check-run.md, .stageflow/demo/comment.md",
      );
      const runId = /^run ([0-9a-f-]{36}) \(demo-release\)$/m.exec(r.out)?.[1];
      expect(runId).toBeDefined();

      const checkRun = readFileSync(tmp.path(".stageflow/demo/check-run.md"), "utf8");
      expect(checkRun).toContain("<!-- status: completed; conclusion: neutral;");
      expect(checkRun).toMatch(/^## ⚠️ demo-release degraded in /m);
      expect(checkRun).toMatch(
        /^\| &nbsp;&nbsp;✅ deps \| succeeded \| 2 \(1 alternative\) \| .+ \| recovered by alternative \(pattern mirror_down\) after 2 attempts \|$/m,
      );
      expect(checkRun).toMatch(
        /^\| &nbsp;&nbsp;✅ upload \| succeeded \| 3 \(2 retry\) \| .+ \| recovered by retry after 3 attempts \|$/m,
      );
      // The degraded docs step is annotated at its line in the workflow file.
      const docsLine =
        readFileSync(tmp.path("demo.yml"), "utf8")
          .split("\n")
          .findIndex((l) => /^\s+- id: docs$/.test(l)) + 1;
      expect(checkRun).toContain(`- \`demo.yml:${docsLine}\` (warning) step docs skipped (degraded):`);

      const comment = readFileSync(tmp.path(".stageflow/demo/comment.md"), "utf8");
      expect(comment.split("\n")[0]).toBe("### ⚠️ stageflow: **demo-release** degraded");
      expect(comment).toMatch(
        /^\| build \| ✅ succeeded \| .+ \| ✅ linux, ✅ macos, ✅ windows, ✅ deps ×2, ⏭️ docs \|$/m,
      );
      expect(comment.trimEnd().endsWith(`<!-- stageflow:run:${runId} -->`)).toBe(true);
    },
  );

  it("without --github-preview nothing is written", { timeout: 120_000 }, async () => {
    const dir = tempDir("stageflow-preview-none-");
    try {
      dir.write("w.yml", "name: w\nstages:\n  - id: a\n    steps: [{ id: a, wait: 10ms }]\n");
      const r = await spawnCli(dir.dir, ["run", "w.yml"]);
      expect(r.code).toBe(0);
      expect(r.err).not.toContain("GitHub preview");
      expect(existsSync(dir.path(".stageflow/demo"))).toBe(false);
    } finally {
      dir.cleanup();
    }
  });
});
