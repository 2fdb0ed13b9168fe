import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { engineViolations, root } from "../../scripts/engine-rule.js";

describe("the engine's one rule", () => {
  it("src/engine imports nothing from other folders of src/, SQLite, GitHub or HTTP servers", () => {
    expect(engineViolations()).toEqual([]);
  });

  it("reports an import that leaves the engine, and a forbidden package, with file and line", () => {
    const dir = mkdtempSync(join(root, "src", "engine", "tmp-rule-"));
    try {
      writeFileSync(
        join(dir, "bad.ts"),
        '// a comment\nimport { x } from "../../cli/io.js";\nimport Db from "better-sqlite3";\n',
      );
      const found = engineViolations().filter((v) => v.includes("tmp-rule-"));
      expect(found).toHaveLength(2);
      expect(found[0]).toMatch(/bad\.ts:2: imports \.\.\/\.\.\/cli\/io\.js/);
      expect(found[1]).toMatch(/bad\.ts:3: imports better-sqlite3/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
