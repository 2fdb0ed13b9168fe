/**
 * The GitHub port: what every module of `src/github/` (and the step kinds that call GitHub) needs
 * from an Octokit. Probot's per-installation `context.octokit` and `@octokit/rest`'s `Octokit`
 * both satisfy it. Every call goes through `request("METHOD /route", params)`, so that one
 * checker (tests/github/openapi.ts) can hold each request against GitHub's API description.
 */
import type { Octokit } from "@octokit/rest";

export type GitHubClient = Pick<Octokit, "request">;

/** A repository, as the REST routes name it. */
export interface RepoRef {
  owner: string;
  repo: string;
}
