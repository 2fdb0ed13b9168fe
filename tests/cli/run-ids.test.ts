import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createSqliteJournal } from "../../src/store/index.js";
import { newRun } from "../../src/testing/contract/builders.js";
import { captureIo, stageflow, tempDir } from "./helpers.js";

/** Two runs started in the same millisecond: their ids share the time part (first 12 hex digits). */
const A = "0193a1b2-c3d4-7e5f-8a9b-5c1e0a7d3b11";
const B = "0193a1b2-c3d4-7a01-9f00-e2d4c6b8a022";

describe("run ids: shown so that runs started together differ, found by any unique part", () => {
  let tmp: ReturnType<typeof tempDir>;
  let db: string;
  const cli = (...args: string[]) => stageflow(captureIo(tmp.dir), ...args, "--db", db);

  beforeEach(async () => {
    tmp = tempDir();
    db = tmp.path("j.db");
    const journal = createSqliteJournal({ path: db });
    await journal.createRun(newRun(A, { createdAt: Date.now() }), []);
    await journal.createRun(newRun(B, { createdAt: Date.now() }), []);
    await journal.close();
  });
  afterEach(() => tmp.cleanup());

  it("status lists the random end of each id, which tells the runs apart", async () => {
    const { code, out } = await cli("status");
    expect(code).toBe(0);
    expect(out).toMatch(/^0a7d3b11\s/m);
    expect(out).toMatch(/^c6b8a022\s/m);
    expect(out).not.toContain("0193a1b2");
  });

  it("accepts the shown short id, a unique prefix and a unique end", async () => {
    const found = async (part: string) => {
      const { code, out, err } = await cli("status", part, "--json");
      return { part, code, err, id: code === 0 ? JSON.parse(out).id : null };
    };
    for (const [part, id] of [
      ["0a7d3b11", A],
      ["c6b8a022", B],
      ["0193a1b2-c3d4-7e", A],
      ["0193A1B2-C3D4-7A", B],
      ["a022", B],
      [A, A],
    ]) {
      expect(await found(part as string)).toEqual({ part, code: 0, err: "", id });
    }
  });

  it("an ambiguous part is refused with exit 2, listing the candidates", async () => {
    const { code, err } = await cli("cancel", "0193a1b2");
    expect(code).toBe(2);
    expect(err).toContain("run id '0193a1b2' is ambiguous; it matches 2 runs:");
    expect(err).toContain(`  ${A}  deploy  running`);
    expect(err).toContain(`  ${B}  deploy  running`);
    expect(err).not.toMatch(/\n\s+at /);
  });

  it("an unknown id is refused with exit 2", async () => {
    const { code, err } = await cli("cancel", "ffff0000");
    expect(code).toBe(2);
    expect(err).toContain("unknown run 'ffff0000'");
  });
});
