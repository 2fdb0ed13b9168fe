/**
 * The Octokit for hosts that do not get one from Probot (the Action, scripts, tests):
 * `@octokit/rest` with the throttling and retry plugins that ProbotOctokit carries, built with
 * {@link octokitDefaults} (retry plugin off, rate limits waited out).
 */
import { retry } from "@octokit/plugin-retry";
import { throttling } from "@octokit/plugin-throttling";
import { Octokit } from "@octokit/rest";
import { octokitDefaults, type OctokitDefaultsOptions } from "./octokit-options.js";

/** `@octokit/rest` with throttling and retry (the latter disabled by stageflow's options). */
export const StageflowOctokit: typeof Octokit = Octokit.plugin(throttling, retry);

/** Options of {@link createOctokit}. */
export interface CreateOctokitOptions extends OctokitDefaultsOptions {
  /** A token (installation, GITHUB_TOKEN, PAT). */
  auth?: string;
  /** `https://api.github.com` unless GitHub Enterprise Server (`https://HOST/api/v3`). */
  baseUrl?: string;
  /** The fetch to use (tests pass one that nock or a mock can see). */
  fetch?: typeof fetch;
  /** Octokit's logger (debug/info/warn/error); silent by default. */
  logger?: { debug(m: string): void; info(m: string): void; warn(m: string): void; error(m: string): void };
}

const silent = { debug() {}, info() {}, warn() {}, error() {} };

/** Builds an Octokit with stageflow's options. */
export function createOctokit(options: CreateOctokitOptions = {}): Octokit {
  const { auth, baseUrl, fetch: fetchImpl, logger, ...defaults } = options;
  return new StageflowOctokit({
    ...(auth !== undefined ? { auth } : {}),
    ...(baseUrl !== undefined ? { baseUrl } : {}),
    ...(fetchImpl !== undefined ? { request: { fetch: fetchImpl } } : {}),
    log: logger ?? silent,
    ...octokitDefaults(defaults),
  });
}
