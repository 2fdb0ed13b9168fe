/**
 * A real Octokit for the tests of src/github: `createOctokit` (@octokit/rest with the throttling
 * and retry plugins, as ProbotOctokit has them) with stageflow's options, talking to api.github.com
 * as answered by nock. Every request nock receives is recorded, to be held against GitHub's API
 * description (`checkRecorded`).
 */
import type { Octokit } from "@octokit/rest";
import Bottleneck from "bottleneck";
import nock from "nock";
import { checkRequest } from "../support/openapi.js";
import { createOctokit, type OctokitDefaultsOptions } from "../../src/github/index.js";

export const API = "https://api.github.com";

/**
 * A client with stageflow's options. The throttling plugin spaces writes a second apart (shared
 * groups); the test gets its own groups without spacing, and `retryAfterBaseValue: 1` turns
 * `retry-after: N` seconds into N milliseconds, so nothing sleeps for real.
 */
export function testClient(options: OctokitDefaultsOptions = {}): Octokit {
  const group = () => new Bottleneck.Group({ maxConcurrent: 1, minTime: 0 });
  return createOctokit({
    auth: "test",
    ...options,
    throttle: {
      write: group(),
      notifications: group(),
      search: group(),
      retryAfterBaseValue: 1,
      ...options.throttle,
    },
  });
}

/** A request that reached the GitHub API boundary. */
export interface RecordedRequest {
  method: string;
  path: string;
  body: unknown;
}

/** api.github.com as nock answers it, with every request it received. */
export interface FakeApi {
  /** Add one-off interceptors here (each answers once unless told otherwise). */
  scope: nock.Scope;
  /** Add the interceptors of a fake resource here: they answer every matching request. */
  persistent: nock.Scope;
  requests: RecordedRequest[];
  /** The recorded requests of one method whose path starts with `prefix`. */
  sent(method: string, prefix: string): RecordedRequest[];
}

/** A nock scope for api.github.com that records what it receives. */
export function fakeApi(): FakeApi {
  const requests: RecordedRequest[] = [];
  const record = (req: { method?: string; path?: string }, _interceptor: unknown, body: string) => {
    requests.push({
      method: String(req.method ?? "").toUpperCase(),
      path: String(req.path ?? ""),
      body: body ? (JSON.parse(body) as unknown) : undefined,
    });
  };
  const scope = nock(API).on("request", record);
  const persistent = nock(API).persist().on("request", record);
  return {
    scope,
    persistent,
    requests,
    sent: (method, prefix) => requests.filter((r) => r.method === method && r.path.startsWith(prefix)),
  };
}

/** Holds each recorded request against GitHub's API description (`@octokit/openapi`). */
export function checkRecorded(requests: RecordedRequest[]): void {
  const problems = requests.flatMap((request) => checkRequest(request));
  if (problems.length > 0)
    throw new Error(`requests GitHub's API does not have:\n  ${problems.join("\n  ")}`);
}
