import { expect, it } from "vitest";
import { StageflowOctokit } from "../../src/github/octokit.js";
import { octokitDefaults } from "../../src/github/octokit-options.js";
import { githubMetricsPlugin, installationOf } from "../../src/observe/github-metrics.js";
import { createMetrics } from "../../src/observe/metrics.js";
import { parseExposition } from "../support/prom-text.js";

/** A fetch that answers each request with the next status, and x-ratelimit-remaining counting down. */
function fakeFetch(statuses: number[]): typeof fetch {
  let remaining = 5000;
  return (async () => {
    const status = statuses.shift() ?? 200;
    remaining--;
    return new Response(status === 204 ? null : JSON.stringify(status < 400 ? {} : { message: "nope" }), {
      status,
      headers: { "content-type": "application/json", "x-ratelimit-remaining": String(remaining) },
    });
  }) as typeof fetch;
}

const silent = { debug() {}, info() {}, warn() {}, error() {} };

it("counts requests by installation and status and records the rate limit left", async () => {
  const metrics = createMetrics({ defaultMetrics: false });
  const Octokit = StageflowOctokit.plugin(githubMetricsPlugin(metrics));
  const octokit = new Octokit({
    ...octokitDefaults(),
    auth: "token",
    request: { fetch: fakeFetch([200, 404, 201]) },
    log: silent,
  });
  await octokit.request("GET /repos/{owner}/{repo}", { owner: "o", repo: "r" });
  await expect(octokit.request("GET /repos/{owner}/{repo}", { owner: "o", repo: "gone" })).rejects.toThrow();
  await octokit.request("POST /repos/{owner}/{repo}/issues", { owner: "o", repo: "r", title: "t" });
  const x = parseExposition(await metrics.text());
  expect(x.value("stageflow_github_api_calls_total", { installation: "app", status: "200" })).toBe(1);
  expect(x.value("stageflow_github_api_calls_total", { installation: "app", status: "404" })).toBe(1);
  expect(x.value("stageflow_github_api_calls_total", { installation: "app", status: "201" })).toBe(1);
  expect(x.value("stageflow_github_rate_limit_remaining", { installation: "app" })).toBe(4997);
});

it("a request that gets no answer is counted (Octokit calls it a 500)", async () => {
  const metrics = createMetrics({ defaultMetrics: false });
  const Octokit = StageflowOctokit.plugin(githubMetricsPlugin(metrics));
  // Octokit logs the failure on its (default) console logger; silence it.
  const refused = (async () => {
    throw new TypeError("fetch failed");
  }) as typeof fetch;
  const octokit = new Octokit({
    ...octokitDefaults(),
    auth: "token",
    request: { fetch: refused },
    log: silent,
  });
  await expect(octokit.request("GET /rate_limit")).rejects.toThrow();
  const x = parseExposition(await metrics.text());
  const calls = x.find("stageflow_github_api_calls_total", { installation: "app" });
  // Octokit reports a fetch that threw as a RequestError of status 500.
  expect(calls.map((s) => [s.labels.status, s.value])).toEqual([["500", 1]]);
});

it("reads the installation from Probot's installation client options", () => {
  expect(installationOf({ auth: { installationId: 42 } })).toBe(42);
  expect(installationOf({ auth: "token" })).toBeUndefined();
  expect(installationOf(undefined)).toBeUndefined();
});
