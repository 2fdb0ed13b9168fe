import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseExposition } from "../support/prom-text.js";
import { spawnCli } from "./cli-process.js";
import { captureIo, stageflow, tempDir } from "./helpers.js";

/** Fails its first attempt with "mirror unavailable"; the workflow's retry pattern recovers it. */
const FLAKY = `name: flaky
stages:
  - id: build
    steps:
      - id: fetch
        run: 'if [ "$STAGEFLOW_ATTEMPT" = "1" ]; then echo "mirror unavailable" >&2; exit 3; fi; echo ok'
recovery:
  - { id: mirror_flake, match: mirror unavailable, type: network, strategy: retry, max_attempts: 3, base_delay: 10ms }
`;

/** Always fails; the workflow's pattern says fail. */
const BROKEN = `name: broken
stages:
  - id: deploy
    steps:
      - id: push
        run: echo "license expired" >&2; exit 4
recovery:
  - { id: license, match: license expired, type: configuration, strategy: fail }
`;

describe("stageflow metrics --db", () => {
  let tmp: ReturnType<typeof tempDir>;
  let db: string;
  const cli = async (...args: string[]) => stageflow(captureIo(tmp.dir), ...args);

  beforeEach(() => {
    tmp = tempDir();
    db = tmp.path("state/journal.db");
    tmp.write("flaky.yml", FLAKY);
    tmp.write("broken.yml", BROKEN);
  });
  afterEach(() => tmp.cleanup());

  it("prints the counters of runs another process recorded, in Prometheus text", async () => {
    // One run recorded by another process (the real CLI), two by this one before the command.
    expect((await spawnCli(tmp.dir, ["run", "flaky.yml", "--db", db])).code).toBe(0);
    expect((await cli("run", "broken.yml", "--db", db)).code).toBe(1);
    expect((await cli("run", "flaky.yml", "--db", db)).code).toBe(0);

    const result = await cli("metrics", "--db", db);
    expect(result.code).toBe(0);
    const x = parseExposition(result.out);
    expect(x.value("stageflow_runs_finished_total", { workflow: "flaky", status: "succeeded" })).toBe(2);
    expect(x.value("stageflow_runs_finished_total", { workflow: "broken", status: "failed" })).toBe(1);
    expect(x.value("workflow_duration_ms_count", { workflow: "flaky", status: "succeeded" })).toBe(2);
    expect(x.value("error_recovery_attempts_total", { strategy: "retry", error_type: "network" })).toBe(2);
    expect(x.value("error_recovery_success_total", { strategy: "retry" })).toBe(2);
    expect(x.value("error_recovery_failures_total", { strategy: "fail" })).toBe(1);
    expect(x.value("stageflow_step_attempts_total", { kind: "run", outcome: "succeeded" })).toBe(2);
    expect(x.value("stageflow_step_attempts_total", { kind: "run", outcome: "failed" })).toBe(3);
    expect(x.value("stageflow_steps_total", { kind: "run", outcome: "failed" })).toBe(1);
    // The command's own process is not what it reports on.
    expect(x.find("process_resident_memory_bytes")).toEqual([]);

    // Printed again by a fresh command: the same figures.
    expect((await cli("metrics", "--db", db)).out).toBe(result.out);
    const json = JSON.parse((await cli("metrics", "--db", db, "--json")).out) as { name: string }[];
    expect(json.map((m) => m.name)).toContain("workflow_duration_ms");
  });

  it("prints the metrics at zero when nothing has run with this --db yet", async () => {
    const result = await cli("metrics", "--db", tmp.path("none.db"));
    expect(result.code).toBe(0);
    const x = parseExposition(result.out);
    expect(x.types.get("workflow_duration_ms")).toBe("histogram");
    expect(x.find("stageflow_runs_finished_total")).toEqual([]);
  });
});
