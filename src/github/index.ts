/** Everything stageflow says to GitHub's REST API; shared by the app and the Action. */
export type { GitHubClient, RepoRef } from "./client.js";
export * from "./octokit-options.js";
export * from "./octokit.js";
export * from "./errors.js";
export * from "./limits.js";
export * from "./comments.js";
export * from "./check-runs.js";
export * from "./reactions.js";
export * from "./permissions.js";
export * from "./methods.js";
