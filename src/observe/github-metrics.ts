/**
 * An Octokit plugin that counts the app's GitHub API requests for the metrics: by installation
 * (read from the client's auth options, as Probot builds installation clients; `app` otherwise)
 * and HTTP status, and records `x-ratelimit-remaining` of each answer. The app adds it to its
 * Octokit class: `Octokit.plugin(githubMetricsPlugin(metrics))`.
 */
import type { Metrics } from "./metrics.js";

interface Hooked {
  hook: {
    wrap(
      name: "request",
      // `never`: Octokit's own request options and answer pass through untouched.
      wrapper: (request: (options: never) => unknown, options: unknown) => Promise<never>,
    ): void;
  };
}

type Answer = { status?: unknown; headers?: Record<string, unknown> } | undefined;

const remainingOf = (answer: Answer): number | undefined => {
  const value = Number(answer?.headers?.["x-ratelimit-remaining"]);
  return answer?.headers?.["x-ratelimit-remaining"] === undefined || !Number.isFinite(value)
    ? undefined
    : value;
};

/** The installation id in an Octokit's constructor options (`auth.installationId`), if any. */
export function installationOf(options: unknown): number | string | undefined {
  const auth = (options as { auth?: unknown } | undefined)?.auth;
  const id = (auth as { installationId?: unknown } | undefined)?.installationId;
  return typeof id === "number" || typeof id === "string" ? id : undefined;
}

/** The plugin (an `Octokit.plugin(...)` argument) reporting to `metrics`. */
export function githubMetricsPlugin(
  metrics: Pick<Metrics, "githubCall">,
): (octokit: Hooked, options: unknown) => void {
  return (octokit, options) => {
    const installation = installationOf(options);
    octokit.hook.wrap("request", async (request, requestOptions) => {
      try {
        const answer = (await request(requestOptions as never)) as Answer;
        metrics.githubCall(installation, Number(answer?.status) || "error", remainingOf(answer));
        return answer as never;
      } catch (e) {
        const status = Number((e as { status?: unknown } | null)?.status);
        const response = (e as { response?: Answer } | null)?.response;
        metrics.githubCall(
          installation,
          Number.isInteger(status) && status > 0 ? status : "error",
          remainingOf(response),
        );
        throw e;
      }
    });
  };
}
