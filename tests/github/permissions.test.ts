import nock from "nock";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { checkPermission, permits } from "../../src/github/index.js";
import { checkRecorded, fakeApi, testClient, type FakeApi } from "./github-test-client.js";

let api: FakeApi;
const base = { owner: "o", repo: "r", username: "alice", required: "write" as const };
const PERMISSION = "/repos/o/r/collaborators/alice/permission";

function collaborator(permission: string, roleName?: string) {
  return { permission, ...(roleName ? { role_name: roleName } : {}), user: { login: "alice" } };
}

beforeAll(() => nock.disableNetConnect());
afterEach(() => {
  checkRecorded(api.requests);
  nock.cleanAll();
});

describe("checkPermission", () => {
  it("allows a writer", async () => {
    api = fakeApi();
    api.scope.get(PERMISSION).reply(200, collaborator("write", "write"));
    const decision = await checkPermission(testClient(), base);
    expect(decision).toEqual({
      allowed: true,
      permission: "write",
      reason: "@alice has write permission on o/r",
    });
  });

  it("refuses a reader with a reason that says what is needed", async () => {
    api = fakeApi();
    api.scope.get(PERMISSION).reply(200, collaborator("read", "read"));
    const decision = await checkPermission(testClient(), base);
    expect(decision.allowed).toBe(false);
    expect(decision.permission).toBe("read");
    expect(decision.reason).toBe("needs write permission on o/r; @alice has read");
  });

  it("uses role_name: triage is not write, maintain is", async () => {
    api = fakeApi();
    api.scope.get(PERMISSION).reply(200, collaborator("read", "triage"));
    api.scope.get(PERMISSION).reply(200, collaborator("write", "maintain"));
    expect(await checkPermission(testClient(), base)).toMatchObject({ allowed: false, permission: "triage" });
    expect(await checkPermission(testClient(), { ...base, required: "maintain" })).toMatchObject({
      allowed: true,
      permission: "maintain",
    });
  });

  it("falls back to the base permission for a custom role", async () => {
    api = fakeApi();
    api.scope.get(PERMISSION).reply(200, collaborator("write", "deployer"));
    expect(await checkPermission(testClient(), base)).toMatchObject({ allowed: true, permission: "write" });
  });

  it("allows an active member of a listed team", async () => {
    api = fakeApi();
    api.scope.get(PERMISSION).reply(200, collaborator("read", "read"));
    api.scope.get("/orgs/acme/teams/ops/memberships/alice").reply(404, { message: "Not Found" });
    api.scope
      .get("/orgs/acme/teams/release/memberships/alice")
      .reply(200, { state: "active", role: "member" });
    const decision = await checkPermission(testClient(), { ...base, teams: ["acme/ops", "acme/release"] });
    expect(decision).toEqual({
      allowed: true,
      permission: "read",
      reason: "@alice is a member of acme/release",
    });
  });

  it("refuses a pending team membership and names the teams", async () => {
    api = fakeApi();
    api.scope.get(PERMISSION).reply(200, collaborator("none"));
    api.scope.get("/orgs/acme/teams/ops/memberships/alice").reply(200, { state: "pending", role: "member" });
    const decision = await checkPermission(testClient(), { ...base, teams: ["acme/ops"] });
    expect(decision.allowed).toBe(false);
    expect(decision.reason).toBe(
      "needs write permission on o/r or membership of acme/ops; @alice has no access",
    );
  });

  it("refuses when the permission lookup fails, and says so", async () => {
    api = fakeApi();
    api.scope.get(PERMISSION).reply(500, { message: "Server Error" });
    const decision = await checkPermission(testClient(), base);
    expect(decision.allowed).toBe(false);
    expect(decision.permission).toBeNull();
    expect(decision.reason).toBe(
      "needs write permission on o/r; the permission lookup for @alice on o/r failed (HTTP 500), so the request is refused",
    );
  });

  it("refuses when the lookup fails on the network", async () => {
    api = fakeApi();
    api.scope.get(PERMISSION).replyWithError("socket hang up");
    const decision = await checkPermission(testClient(), base);
    expect(decision).toMatchObject({ allowed: false, permission: null });
    expect(decision.reason).toContain("failed (a network error)");
  });
});

describe("permits", () => {
  it("orders admin > maintain > write > triage > read", () => {
    expect(permits("admin", "maintain")).toBe(true);
    expect(permits("triage", "write")).toBe(false);
    expect(permits("none", "read")).toBe(false);
    expect(permits(null, "read")).toBe(false);
  });
});
