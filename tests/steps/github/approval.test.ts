import { isRefused, type RunInfo } from "stageflow";
import { describe, expect, it } from "vitest";
import { harness, METADATA, nextEvent, outputsOf, plan, T0 } from "./support.js";

const HOUR = 3_600_000;
const GATE = `  - id: gate\n    steps: [{ id: ok, approval: { permission: maintain, teams: [octo-org/release], timeout: 2h } }]\n`;

async function code(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
    return undefined;
  } catch (error) {
    return isRefused(error) ? error.code : String(error);
  }
}

describe("the approval kind", () => {
  it("parks until the approve signal; outputs who approved and when; the permission is checked again", async () => {
    const checks: Array<[string, string, string[] | undefined, unknown]> = [];
    const { engine, clock } = harness({
      permission: async (run: RunInfo, actor, required, teams) => {
        checks.push([actor, required, teams, run.metadata.repo]);
        return actor === "hubot";
      },
    });
    const parked = nextEvent(engine, "run.parked");
    const handle = await engine.start(plan(engine, GATE), { metadata: METADATA });
    expect((await parked).payload).toEqual({ wakeAt: T0 + 2 * HOUR, signals: ["approve"] });
    expect(await handle.done).toMatchObject({ status: "waiting", reason: "parked" });

    await clock.advance(HOUR);
    const succeeded = nextEvent(engine, "run.succeeded", handle.runId);
    await engine.signal(handle.runId, "approve", { actor: "hubot" }, { sender: "app" });
    await succeeded;
    expect(await outputsOf(engine, handle.runId, "ok")).toMatchObject({
      outputs: { approved_by: "hubot", at: T0 + HOUR },
    });
    expect(checks).toEqual([["hubot", "maintain", ["octo-org/release"], "octo-repo"]]);
  });

  it("an approver who fails the kind's own check fails the step, naming what is needed", async () => {
    const { engine } = harness({ permission: async () => false });
    const handle = await engine.start(plan(engine, GATE), { metadata: METADATA });
    await handle.done;
    const failed = nextEvent(engine, "run.failed", handle.runId);
    await engine.signal(handle.runId, "approve", { actor: "reader" });
    const event = await failed;
    expect(JSON.stringify(event.payload)).toContain(
      "reader may not approve: approving needs maintain permission on the repository or membership of octo-org/release",
    );
  });

  it("fails timed_out when nobody approves before the timeout (on the engine's clock)", async () => {
    const { engine, clock, journal } = harness();
    const handle = await engine.start(plan(engine, GATE), { metadata: METADATA });
    await handle.done;
    const failed = nextEvent(engine, "run.failed", handle.runId);
    await clock.advance(2 * HOUR - 1);
    expect((await journal.getRun(handle.runId))?.status).toBe("waiting");
    await clock.advance(1);
    await failed;
    expect(await journal.getRun(handle.runId)).toMatchObject({ status: "failed", reason: "timed_out" });
  });

  it("engine.signal takes approve for a run with an approval step, and refuses it for a run without one", async () => {
    const { engine } = harness();
    const gated = await engine.start(plan(engine, GATE), { metadata: METADATA });
    await gated.done;
    expect(await code(engine.signal(gated.runId, "approved"))).toBe("signal_unknown");
    const plain = await engine.start(plan(engine, `  - id: a\n    steps: [{ id: w, wait: 1h }]\n`));
    await plain.done;
    expect(await code(engine.signal(plain.runId, "approve"))).toBe("signal_unknown");
    const succeeded = nextEvent(engine, "run.succeeded", gated.runId);
    expect(await code(engine.signal(gated.runId, "approve", { actor: "octocat" }))).toBeUndefined();
    await succeeded;
  });

  it("a bad config is refused when the workflow is read, naming each field", () => {
    const { engine } = harness();
    let message = "";
    try {
      plan(engine, `  - id: g\n    steps: [{ id: ok, approval: { permission: owner, teams: [release] } }]\n`);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain(
      'approval.permission: must be one of read, triage, write, maintain, admin, got "owner"',
    );
    expect(message).toContain('approval.teams[0]: must be org/slug, got "release"');
  });
});
