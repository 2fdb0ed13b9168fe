import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cliViolations, root } from "../../scripts/engine-rule.js";

describe("the CLI is a host like any other", () => {
  it("src/cli imports the engine, the step kinds and the journal only through src/index.ts and src/sqlite.ts", () => {
    expect(cliViolations()).toEqual([]);
  });

  it("reports a deep import into the engine, the store or the steps, with file and line", () => {
    const dir = mkdtempSync(join(root, "src", "cli", "tmp-rule-"));
    try {
      writeFileSync(
        join(dir, "bad.ts"),
        [
          'import { a } from "../../index.js";',
          'import { b } from "../../sqlite.js";',
          'import { c } from "../io.js";',
          'import { d } from "../../engine/errors.js";',
          'import type { e } from "../../store/index.js";',
          'export { f } from "../../steps/run.js";',
          'import { g } from "node:fs";',
          "",
        ].join("\n"),
      );
      const found = cliViolations().filter((v) => v.includes("tmp-rule-"));
      expect(found).toHaveLength(3);
      expect(found[0]).toMatch(/bad\.ts:4: imports \.\.\/\.\.\/engine\/errors\.js/);
      expect(found[1]).toMatch(/bad\.ts:5: imports \.\.\/\.\.\/store\/index\.js/);
      expect(found[2]).toMatch(/bad\.ts:6: imports \.\.\/\.\.\/steps\/run\.js/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
