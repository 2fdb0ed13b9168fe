import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { engineCycles, engineViolations, root } from "../../scripts/engine-rule.js";

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

  it("src/engine has no import cycle (type-only imports included)", () => {
    expect(engineCycles()).toEqual([]);
  });

  it("reports an import cycle as the files around it, and not a chain without one", () => {
    const dir = mkdtempSync(join(root, "src", "engine", "tmp-cycle-"));
    try {
      writeFileSync(join(dir, "a.ts"), 'import { b } from "./b.js";\nexport const a = () => b;\n');
      writeFileSync(join(dir, "b.ts"), 'import type { C } from "./c.js";\nexport const b: C = 1;\n');
      writeFileSync(join(dir, "c.ts"), "export type C = number;\n");
      writeFileSync(join(dir, "d.ts"), 'import { a } from "./a.js";\nexport const d = a;\n');
      expect(engineCycles(dir)).toEqual([]);
      writeFileSync(
        join(dir, "c.ts"),
        'import { a } from "./a.js";\nexport type C = ReturnType<typeof a>;\n',
      );
      const name = dir.slice(root.length + 1);
      expect(engineCycles(dir)).toEqual([`${name}/a.ts -> ${name}/b.ts -> ${name}/c.ts -> ${name}/a.ts`]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
