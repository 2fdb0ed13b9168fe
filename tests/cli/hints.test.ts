import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { captureIo, stageflow, tempDir } from "./helpers.js";

const failing = "name: fail\nstages:\n  - id: s\n    steps:\n      - id: x\n        run: exit 1\n";

describe("hints print commands that work as printed", () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => {
    tmp = tempDir();
    tmp.write("fail.yml", failing);
  });
  afterEach(() => tmp.cleanup());

  /** The `resume with: ...` line of the output, as argv. */
  const hint = (out: string) => {
    const line = /^resume with: (.*)$/m.exec(out)?.[1];
    expect(line).toBeDefined();
    return line as string;
  };

  it("names the journal chosen with --db, so the hint finds the run", async () => {
    const ran = await stageflow(captureIo(tmp.dir), "run", "fail.yml", "--db", "state/j.db");
    expect(ran.code).toBe(1);
    const printed = hint(ran.out);
    expect(printed).toMatch(/^stageflow resume [0-9a-f-]{36} --db state\/j\.db$/);
    // Run the hint as printed (the words after `stageflow`): the run is found and tried again.
    const again = await stageflow(captureIo(tmp.dir), ...printed.split(" ").slice(1));
    expect(again.err).not.toContain("unknown run");
    expect(again.code).toBe(1);
    const shown = await stageflow(
      captureIo(tmp.dir),
      "status",
      printed.split(" ")[2] as string,
      "--db",
      "state/j.db",
    );
    expect(hint(shown.out)).toBe(printed);
  });

  it("quotes a path with spaces, and says npx stageflow when npm started the CLI", async () => {
    const io = captureIo(tmp.dir, { npm_command: "run-script" });
    const ran = await stageflow(io, "run", "fail.yml", "--db", "my runs/j.db");
    expect(hint(ran.out)).toMatch(/^npx stageflow resume [0-9a-f-]{36} --db 'my runs\/j\.db'$/);
  });

  it("leaves --db out when the journal is the default or comes from the environment", async () => {
    const ran = await stageflow(captureIo(tmp.dir, { STAGEFLOW_DB: "env.db" }), "run", "fail.yml");
    expect(hint(ran.out)).toMatch(/^stageflow resume [0-9a-f-]{36}$/);
  });
});
