import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Octokit } from "@octokit/rest";
import nock from "nock";
import { githubNock } from "../../support/openapi.js";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FakeClock } from "stageflow/testing";
import { nextCursor, reconcileDeliveries, startReconciler } from "../../../src/app/intake/reconcile.js";
import { createSqliteAppStore } from "../../../src/app/state/sqlite.js";
import type { AppStore } from "../../../src/app/state/types.js";
import { memoryLog } from "./harness.js";

const API = "https://api.github.com";
let dir: string;
let store: AppStore;
let clock: FakeClock;
let github: ReturnType<typeof githubNock>;
const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const appClient = new Octokit({ auth: "jwt-for-tests", log: quiet });

beforeEach(async () => {
  nock.disableNetConnect();
  github = githubNock(API);
  dir = await mkdtemp(join(tmpdir(), "stageflow-reconcile-"));
  store = createSqliteAppStore({ path: join(dir, "app.db") });
  clock = new FakeClock(Date.parse("2026-12-05T12:00:00Z"));
});
afterEach(async () => {
  const pending = nock.pendingMocks();
  nock.cleanAll();
  nock.enableNetConnect();
  await store.close();
  await rm(dir, { recursive: true, force: true });
  expect(pending).toEqual([]);
  github.assertValid();
});

let nextId = 1000;
/** A delivery as the API lists it, `minutesAgo` before the clock's now. */
function item(guid: string, minutesAgo: number, statusCode: number, redelivery = false) {
  return {
    id: nextId++,
    guid,
    delivered_at: new Date(clock.now() - minutesAgo * 60_000).toISOString().replace(/\.\d+Z$/, "Z"),
    redelivery,
    duration: 0.2,
    status:
      statusCode === 0
        ? "failed to connect"
        : statusCode < 400
          ? "OK"
          : `Invalid HTTP Response: ${statusCode}`,
    status_code: statusCode,
    event: "issue_comment",
    action: "created",
    installation_id: 7,
    repository_id: 9,
    throttled_at: null,
  };
}

const link = (cursor: string) => `<${API}/app/hook/deliveries?per_page=100&cursor=${cursor}>; rel="next"`;

describe("reconcileDeliveries", () => {
  it("redelivers each event whose every delivery failed and that the inbox lacks, once, reading pages until `since`", async () => {
    const downA = item("guid-down", 30, 0);
    const downAagain = item("guid-down", 20, 0, true);
    const failed502 = item("guid-502", 40, 502);
    const recovered = [item("guid-ok", 50, 500), item("guid-ok", 45, 202, true)];
    const recorded = item("guid-recorded", 55, 504);
    const tooOld = item("guid-old", 120, 0);
    const hopeless = [1, 2, 3, 4].map((n) => item("guid-hopeless", 60 - n, 500, n > 1));
    const scope = github
      .scope()
      .get("/app/hook/deliveries")
      .query({ per_page: 100 })
      .reply(200, [downAagain, downA, failed502, recovered[1], recovered[0]], { link: link("page2") })
      .get("/app/hook/deliveries")
      .query({ per_page: 100, cursor: "page2" })
      .reply(200, [recorded, ...hopeless.reverse(), tooOld], { link: link("page3") })
      .post(`/app/hook/deliveries/${downAagain.id}/attempts`)
      .reply(202, {})
      .post(`/app/hook/deliveries/${failed502.id}/attempts`)
      .reply(202, {});
    await store.recordDelivery({ id: "guid-recorded", name: "issue_comment", payload: "{}", receivedAt: 1 });

    const result = await reconcileDeliveries({
      appClient,
      store,
      since: clock.now() - 60 * 60_000,
      clock,
      log: memoryLog(),
    });
    expect(result).toEqual({
      listed: 10,
      pages: 2,
      failed: 4,
      recorded: 1,
      redelivered: 2,
      givenUp: 1,
      errors: 0,
    });
    expect(scope.isDone()).toBe(true);
  });

  it("counts a refused redelivery and goes on with the others", async () => {
    const a = item("guid-a", 5, 503);
    const b = item("guid-b", 4, 0);
    github
      .scope()
      .get("/app/hook/deliveries")
      .query({ per_page: 100 })
      .reply(200, [b, a])
      .post(`/app/hook/deliveries/${b.id}/attempts`)
      .reply(422, { message: "Validation Failed" })
      .post(`/app/hook/deliveries/${a.id}/attempts`)
      .reply(202, {});
    const log = memoryLog();
    const result = await reconcileDeliveries({ appClient, store, since: 0, clock, log });
    expect(result).toMatchObject({ failed: 2, redelivered: 1, errors: 1 });
    expect(log.lines.find((l) => l.msg === "redelivery refused")?.fields).toMatchObject({
      delivery: "guid-b",
    });
  });

  it("reads the next cursor from a Link header", () => {
    expect(nextCursor(`<${API}/x?page=1>; rel="prev", ${link("v1_abc")}`)).toBe("v1_abc");
    expect(nextCursor(`<${API}/x?cursor=z>; rel="prev"`)).toBeUndefined();
    expect(nextCursor(undefined)).toBeUndefined();
  });
});

describe("startReconciler", () => {
  it("runs a pass at start-up and then every interval, until stopped", async () => {
    let passes = 0;
    const failing = item("guid-x", 1, 0);
    github
      .scope()
      .get("/app/hook/deliveries")
      .query({ per_page: 100 })
      .times(2)
      .reply(() => {
        passes++;
        return [200, passes === 1 ? [failing] : []];
      })
      .post(`/app/hook/deliveries/${failing.id}/attempts`)
      .reply(202, {});
    const reconciler = startReconciler({ appClient, store, clock, log: memoryLog(), intervalMs: 60_000 });
    await reconciler.runNow(); // joins the pass in progress: no second one
    await new Promise((r) => setImmediate(r));
    expect(passes).toBe(1);
    await clock.advance(59_999);
    expect(passes).toBe(1);
    await clock.advance(1);
    for (let i = 0; i < 1000 && passes < 2; i++) await new Promise((r) => setImmediate(r));
    expect(passes).toBe(2);
    await reconciler.stop();
    expect(clock.pending()).toBe(0);
  });

  it("after passes that failed, looks back to the start of the last pass that succeeded: a delivery lost meanwhile is asked for", async () => {
    const minute = 60_000;
    // Minute 5 (between the start-up pass and the first one that failed): a webhook that could not
    // reach the app. Minute -1: one the start-up pass already covered (older than its start).
    const lost = item("guid-lost", -5, 0);
    const covered = item("guid-covered", 1, 0);
    let passes = 0;
    github
      .scope()
      .get("/app/hook/deliveries")
      .query({ per_page: 100 })
      .times(5)
      .reply(() => {
        passes++;
        if (passes === 1) return [200, []]; // at start-up: nothing failed yet
        if (passes <= 4) return [503, { message: "Service Unavailable" }]; // minutes 10, 20, 30
        return [200, [lost, covered]]; // minute 40, newest first
      })
      .post(`/app/hook/deliveries/${lost.id}/attempts`)
      .reply(202, {});
    const log = memoryLog();
    const reconciler = startReconciler({ appClient, store, clock, log, intervalMs: 10 * minute });
    /** Turns the event loop until pass `n` is over and the next one is scheduled. */
    const passed = async (n: number) => {
      for (let i = 0; i < 1000 && !(passes === n && clock.pending() === 1); i++)
        await new Promise((r) => setImmediate(r));
      expect(passes).toBe(n);
    };
    await passed(1);
    for (let n = 2; n <= 5; n++) {
      await clock.advance(10 * minute);
      await passed(n);
    }
    await reconciler.stop();
    expect(log.lines.filter((l) => l.msg === "could not list the app's deliveries")).toHaveLength(3);
    // Only the lost one (the nock scope refuses any other redelivery; pending mocks fail the test).
    expect(log.lines.filter((l) => l.msg === "redelivery refused")).toEqual([]);
    expect(log.lines.filter((l) => l.msg === "asked GitHub to redeliver a failed delivery")).toEqual([
      expect.objectContaining({ fields: expect.objectContaining({ delivery: "guid-lost" }) }),
    ]);
  });
});
