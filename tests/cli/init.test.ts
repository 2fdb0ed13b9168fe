import { readFileSync, writeFileSync } from "node:fs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { STARTER_WORKFLOW } from "../../src/cli/commands/starter.js";
import { captureIo, stageflow, tempDir } from "./helpers.js";

describe("init: a starter workflow", () => {
  let tmp: ReturnType<typeof tempDir>;
  const cli = (...args: string[]) => stageflow(captureIo(tmp.dir), ...args);

  beforeEach(() => {
    tmp = tempDir();
  });
  afterEach(() => tmp.cleanup());

  it("writes .github/stageflow/example.yml, which passes validate and runs", async () => {
    const { code, out } = await cli("init");
    expect(code).toBe(0);
    expect(out).toBe(
      [
        "wrote .github/stageflow/example.yml",
        "next:",
        "  stageflow validate .github/stageflow/example.yml",
        "  stageflow run .github/stageflow/example.yml --dry-run",
        "  stageflow run .github/stageflow/example.yml",
        "",
      ].join("\n"),
    );
    expect(readFileSync(tmp.path(".github/stageflow/example.yml"), "utf8")).toBe(STARTER_WORKFLOW);
    const valid = await cli("validate", ".github/stageflow/example.yml");
    expect(valid).toMatchObject({ code: 0 });
    expect(valid.out).toContain(".github/stageflow/example.yml: ok");
    const ran = await cli("run", ".github/stageflow/example.yml", "--db", tmp.path("j.db"), "--json");
    expect(ran.code).toBe(0);
    expect(JSON.parse(ran.out).status).toBe("succeeded");
  });

  it("writes to a path given, creating its directories", async () => {
    const { code, out } = await cli("init", "flows/ci/build.yml", "--json");
    expect(code).toBe(0);
    expect(JSON.parse(out)).toEqual({ written: "flows/ci/build.yml" });
    expect((await cli("validate", "flows/ci/build.yml")).code).toBe(0);
  });

  it("refuses to overwrite an existing file, with exit 2, leaving it as it was", async () => {
    writeFileSync(tmp.path("mine.yml"), "name: mine\n");
    const { code, err } = await cli("init", "mine.yml");
    expect(code).toBe(2);
    expect(err).toBe("mine.yml already exists; not overwriting it (give another path)\n");
    expect(readFileSync(tmp.path("mine.yml"), "utf8")).toBe("name: mine\n");
  });

  it("prints hints that work as printed when started by npm (npx stageflow ...)", async () => {
    const { out } = await stageflow(captureIo(tmp.dir, { npm_command: "exec" }), "init");
    expect(out).toContain("  npx stageflow validate .github/stageflow/example.yml\n");
  });
});
