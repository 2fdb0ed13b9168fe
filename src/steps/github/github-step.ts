/**
 * The `github` kind: calls a GitHub REST method by its Octokit name with the run's installation
 * client. `github: issues.addLabels` with `with: { labels: [deployed] }`: the `with:` map is the
 * request's parameters; `owner`, `repo` and `issue_number` (and `pull_number` for a PR) default
 * to the run's metadata when the route names them. The name is checked against Octokit's method
 * list when the workflow is read. Outputs: `status` and `data` (the response body).
 */
import type { RunInfo, StepContext, StepOutputs } from "../../engine/handler.js";
import { InputError } from "../../engine/errors.js";
import type { StepsGitHubClient as GitHubClient } from "./client.js";
import type { RestMethodCatalog } from "../../github/methods.js";
import { type GitHubStepsOptions, isExpression, requestWaitingOutLimits, withRunClient } from "./shared.js";

const NAME = /^[a-z][A-Za-z0-9]*\.[a-z][A-Za-z0-9]*$/;

/** The `github` kind over a method table (see `githubSteps`). */
export function createGithubStep(options: GitHubStepsOptions, methods: RestMethodCatalog) {
  return withRunClient(
    options,
    {
      outputs: ["status", "data"],
      validate: (config) => methodProblems(config, methods),
      dependency: () => "api.github.com",
    },
    (ctx, client) => executeGithub(ctx, client, methods),
  );
}

function methodProblems(config: unknown, methods: RestMethodCatalog): Array<[string, string]> {
  if (typeof config !== "string" || !NAME.test(config)) {
    return [
      ["", `must be an Octokit REST method name such as 'issues.addLabels', got ${JSON.stringify(config)}`],
    ];
  }
  if (methods.lookup(config)) return [];
  const suggestion = methods.suggest(config, 1)[0];
  return [
    [
      "",
      `unknown GitHub REST method '${config}'${suggestion ? ` (did you mean '${suggestion}'?)` : ""}; ` +
        "see https://octokit.github.io/rest.js for the method names",
    ],
  ];
}

/** The route's `{name}` parameters. */
function routeParameters(url: string): string[] {
  return [...url.matchAll(/\{([^}]+)\}/g)].map((m) => m[1] ?? "");
}

/** Defaults from the run's metadata for the route parameters `with:` does not give. */
export function metadataDefaults(run: RunInfo, names: readonly string[]): Record<string, unknown> {
  const m = run.metadata;
  const values: Record<string, unknown> = {
    owner: typeof m.owner === "string" ? m.owner : undefined,
    repo: typeof m.repo === "string" ? m.repo : undefined,
    issue_number: typeof m.issue === "number" ? m.issue : undefined,
    pull_number: typeof m.issue === "number" && m.pr === true ? m.issue : undefined,
  };
  const out: Record<string, unknown> = {};
  for (const name of names) if (values[name] !== undefined) out[name] = values[name];
  return out;
}

async function executeGithub(
  ctx: StepContext,
  client: GitHubClient,
  methods: RestMethodCatalog,
): Promise<StepOutputs> {
  const name = ctx.config;
  const route = typeof name === "string" ? methods.lookup(name) : undefined;
  if (!route || isExpression(name)) {
    throw new InputError(
      "invalid_input",
      `step '${ctx.stepId}': github: unknown method ${JSON.stringify(name)}`,
    );
  }
  const names = routeParameters(route.url);
  const params = { ...metadataDefaults(ctx.run, names), ...ctx.with };
  const missing = names.filter((n) => params[n] === undefined || params[n] === null);
  if (missing.length > 0) {
    throw new InputError(
      "invalid_input",
      `step '${ctx.stepId}': github: ${String(name)} needs ${missing.join(", ")} (give it in with:, or start the run with that metadata)`,
    );
  }
  const { status, data } = await requestWaitingOutLimits(ctx, client, `${route.method} ${route.url}`, params);
  return { status, data: data ?? null };
}
