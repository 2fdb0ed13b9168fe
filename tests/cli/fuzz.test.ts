import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generate } from "./fuzz-gen.js";
import { captureIo, stageflow, tempDir } from "./helpers.js";

/**
 * Generated workflow files and inputs (fuzz-gen.ts, seeded): whatever the file, `validate` and
 * `run` answer with an exit code and a message, never a stack trace, and they agree — a file
 * `validate` accepts is one `run` starts (it may still refuse the inputs), and a file it refuses
 * `run` refuses with the same message, recording nothing.
 */
const CASES = 400;
const SEED = 20_261_205;
const STACK = /\n\s+at .+:\d+:\d+\)?(\n|$)/;
/** Problems of the inputs, not of the file: `run` may refuse them after `validate` accepted. */
const INPUT_PROBLEM = /^(missing required input|unknown input|input ')/;

describe("fuzz: generated workflow files and inputs", () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeAll(() => {
    tmp = tempDir("stageflow-fuzz-");
  });
  afterAll(() => tmp.cleanup());

  it(`${CASES} cases: exit 0 or 2 (validate and run), no stack trace, validate and run agree`, async () => {
    const tally = { valid: 0, invalid: 0, inputs: 0 };
    for (let i = 0; i < CASES; i++) {
      const { text, inputs } = generate(SEED + i);
      tmp.write("f.yml", text);
      const where = `case ${i} (seed ${SEED + i}):\n${text.slice(0, 2000)}`;
      const checked = await stageflow(captureIo(tmp.dir), "validate", "f.yml");
      expect([0, 2], where).toContain(checked.code);
      expect(`${checked.out}${checked.err}`, where).not.toMatch(STACK);
      const ran = await stageflow(captureIo(tmp.dir), "run", "f.yml", "--db", tmp.path("fuzz.db"), ...inputs);
      expect(ran.err, where).not.toMatch(STACK);
      if (checked.code === 0) {
        if (ran.code === 2) {
          tally.inputs++;
          for (const line of ran.err.trim().split("\n")) expect(line, where).toMatch(INPUT_PROBLEM);
        } else {
          tally.valid++;
          expect(ran.code, `${where}\n${ran.out}${ran.err}`).toBe(0);
        }
      } else {
        tally.invalid++;
        expect(ran.code, where).toBe(2);
        expect(ran.err.trim(), where).toBe(checked.out.trim());
      }
    }
    // The generator reaches all three outcomes.
    expect(tally.valid).toBeGreaterThan(CASES / 10);
    expect(tally.invalid).toBeGreaterThan(CASES / 10);
    expect(tally.inputs).toBeGreaterThan(0);
  });
});
