/**
 * `stageflow/render`: how a run is reported on GitHub (check-run summary, status comment,
 * replies), rendered from the Markdown templates in `templates/`. The GitHub App, the Action and
 * the CLI's `run --github-preview` share it.
 */
export * from "./github/render/index.js";
