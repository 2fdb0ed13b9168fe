/**
 * What the GitHub step kinds need of a client: `request("METHOD /route", params)`. Narrower than
 * src/github's GitHubClient (Octokit's fully typed `request`) on purpose: the kinds are part of the
 * `stageflow` package's API, and a host type-checking against it should not have to load
 * Octokit's whole REST API types. Probot's and @octokit/rest's clients satisfy it.
 */
export interface StepsGitHubClient {
  request(
    route: string,
    parameters?: Record<string, unknown>,
  ): Promise<{ status: number; data: any; headers: Record<string, string | number | undefined> }>; // eslint-disable-line @typescript-eslint/no-explicit-any
}
