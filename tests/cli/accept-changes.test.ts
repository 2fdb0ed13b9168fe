import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { captureIo, stageflow, tempDir } from "./helpers.js";

const V1 = `name: rel
stages:
  - id: build
    steps:
      - { id: compile, run: echo compiled }
      - { id: docs, run: echo docs }
  - id: test
    steps:
      - { id: unit, run: exit 3 }
`;

/** unit fixed (its command and retry changed), docs removed, lint added. */
const V2 = `name: rel
stages:
  - id: build
    steps:
      - { id: compile, run: echo compiled }
  - id: test
    steps:
      - { id: unit, run: echo ok, retry: { max_attempts: 2 } }
      - { id: lint, run: echo lint }
`;

/** compile's command changed, though it already succeeded. */
const UNSAFE = V2.replace("echo compiled", "echo compiled --fast");

describe("stageflow resume --accept-changes", () => {
  let tmp: ReturnType<typeof tempDir>;
  let db: string;
  const cli = (...args: string[]) => stageflow(captureIo(tmp.dir), ...args, "--db", db);

  beforeEach(() => {
    tmp = tempDir();
    db = tmp.path("state.db");
    tmp.write("rel.yml", V1);
  });
  afterEach(() => tmp.cleanup());

  async function failedRunId(): Promise<string> {
    const ran = await cli("run", "rel.yml", "--json");
    expect(ran.code).toBe(1);
    return (JSON.parse(ran.out) as { id: string }).id;
  }

  it("shows what changed by stage, blocks without the flag, and continues with it", async () => {
    const id = await failedRunId();
    tmp.write("rel.yml", V2);
    const blocked = await cli("resume", id);
    expect(blocked.code).toBe(1);
    expect(blocked.out).toContain(
      [
        "  stage build",
        "    - docs  removed",
        "  stage test",
        "    ~ unit  changed: run, retry",
        "    + lint  new step",
      ].join("\n"),
    );
    expect(blocked.out).toContain("⊘ blocked (definition_changed)");
    // The hint works as printed: it names the --db given.
    expect(blocked.out).toContain(`resume with: stageflow resume ${id} --db state.db --accept-changes`);
    expect(blocked.err).toContain(`stageflow resume ${id} --accept-changes --db state.db`);

    const accepted = await cli("resume", id, "--accept-changes");
    expect(accepted.code).toBe(0);
    expect(accepted.out).toContain("run changes accepted (1 step added, 1 step removed, 1 step changed)");
    expect(accepted.out).toMatch(/✔ compile\s+succeeded\s+1/);
    expect(accepted.out).toMatch(/✔ unit\s+succeeded\s+2 \(1 resumed\)/);
    expect(accepted.out).toMatch(/✔ lint\s+succeeded\s+1/);
    expect(accepted.out).not.toMatch(/✔ docs/);
    const history = await cli("history", id);
    expect(history.out).toMatch(/run\.changes_accepted\s+run\s+1 step added, 1 step removed, 1 step changed/);
  });

  it("refuses an unsafe change with exit 2, says why, and changes nothing", async () => {
    const id = await failedRunId();
    tmp.write("rel.yml", UNSAFE);
    const refused = await cli("resume", id, "--accept-changes");
    expect(refused.code).toBe(2);
    expect(refused.out).toContain("    ~ compile  changed: run");
    expect(refused.err).toContain(`cannot accept the changes to the workflow of run ${id}:`);
    expect(refused.err).toContain("step 'compile' already succeeded and what it runs changed (run)");
    expect(refused.err).not.toMatch(/\n\s+at /); // no stack trace
    const status = await cli("status", id, "--json");
    expect(JSON.parse(status.out)).toMatchObject({ status: "failed" });
  });

  it("says so when there is nothing to accept, and --all does not take the flag", async () => {
    const id = await failedRunId();
    const same = await cli("resume", id, "--accept-changes");
    expect(same.err).toContain("did not change; nothing to accept");
    const all = await cli("resume", "--all", "--accept-changes");
    expect(all.code).toBe(2);
  });
});
