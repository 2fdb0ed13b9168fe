/**
 * What the GitHub step kinds share: their options, the client of a run (made once per execution
 * of the run through `forRun`), the run's repository from its metadata, and GitHub's errors as
 * errors that recovery patterns read (status, headers: `retry-after` steers the wait).
 */
import type { RunInfo, StepContext, StepHandler, StepOutputs } from "../../engine/handler.js";
import type { RepoRef } from "../../github/client.js";
import type { StepsGitHubClient as GitHubClient } from "./client.js";
import { rateLimitExhausted } from "../../engine/recovery/classify.js";
import { retryAfterMs } from "../../engine/recovery/retry-after.js";
import type { DispatchRegistry } from "./dispatch-registry.js";

/** What a host gives the GitHub kinds (see `githubSteps`). */
export interface GitHubStepsOptions {
  /** The client of the run's installation (from `run.metadata.installationId`). */
  clientFor(run: RunInfo): Promise<GitHubClient>;
  /** Where `dispatch` remembers the workflow runs it started. */
  dispatches: DispatchRegistry;
  /**
   * Whether `actor` has `required` permission on the run's repository or is a member of one of
   * `teams` (`org/slug`): the `approval` kind checks the approver again with it when given (the
   * host checks before it signals).
   */
  permission?: (run: RunInfo, actor: string, required: string, teams?: string[]) => Promise<boolean>;
}

/** What a GitHub kind's `execute` gets besides the step context: the run's client. */
export type ClientExecute = (ctx: StepContext, client: GitHubClient) => Promise<StepOutputs | undefined>;

/**
 * A kind whose steps use the run's GitHub client: `forRun` makes one handler per execution of a
 * run, which asks the host for the client once (again after a failure).
 */
export function withRunClient(
  options: GitHubStepsOptions,
  kind: Omit<StepHandler, "execute" | "forRun">,
  execute: ClientExecute,
): StepHandler {
  return {
    ...kind,
    execute() {
      return Promise.reject(new Error("a GitHub step kind executes through forRun"));
    },
    forRun(run: RunInfo): StepHandler {
      let client: Promise<GitHubClient> | undefined;
      const clientOf = () => {
        client ??= options.clientFor(run).catch((error: unknown) => {
          client = undefined;
          throw error;
        });
        return client;
      };
      return { ...kind, execute: async (ctx) => execute(ctx, await clientOf()) };
    },
  };
}

/** The run's repository from its metadata (`owner`, `repo`), or undefined. */
export function metadataRepo(run: RunInfo): RepoRef | undefined {
  const { owner, repo } = run.metadata;
  return typeof owner === "string" && typeof repo === "string" ? { owner, repo } : undefined;
}

/** `owner/name` as a RepoRef, or undefined when it is not one. */
export function parseRepo(value: unknown): RepoRef | undefined {
  if (typeof value !== "string") return undefined;
  const match = /^([A-Za-z0-9_.-]+)\/([A-Za-z0-9_.-]+)$/.exec(value);
  return match ? { owner: match[1] ?? "", repo: match[2] ?? "" } : undefined;
}

export const isExpression = (value: unknown): boolean => typeof value === "string" && value.includes("${{");

export const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/**
 * GitHub answered a request with an error. Carries `status` and `headers` (lower-cased) so that
 * recovery patterns match it (`status=502`, `secondary rate limit`) and honour `retry-after`.
 */
export class GitHubRequestError extends Error {
  override readonly name = "GitHubRequestError";
  /** `github_<status>`. */
  readonly code: string;

  constructor(
    message: string,
    readonly status: number,
    readonly headers: Record<string, string>,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.code = `github_${status}`;
  }
}

/** An Octokit RequestError (or anything with a numeric `status`) as a GitHubRequestError; other errors as they are. */
export function githubError(error: unknown, label: string): unknown {
  if (typeof error !== "object" || error === null) return error;
  const any = error as { status?: unknown; message?: unknown; response?: { headers?: unknown } };
  if (typeof any.status !== "number") return error;
  const headers: Record<string, string> = {};
  if (any.response?.headers && typeof any.response.headers === "object") {
    for (const [k, v] of Object.entries(any.response.headers as Record<string, unknown>)) {
      if (v !== undefined && v !== null) headers[k.toLowerCase()] = String(v);
    }
  }
  const message = typeof any.message === "string" ? any.message : "";
  return new GitHubRequestError(`${label} answered ${any.status}: ${message}`, any.status, headers, {
    cause: error,
  });
}

/**
 * How long GitHub asks to wait before the next request, when `error` is a rate limit (403/429
 * with `retry-after`, a "secondary rate limit" message, or `x-ratelimit-remaining: 0`); else
 * undefined. The headers are read as recovery reads them (`retryAfterMs`); when they name no wait,
 * a minute (GitHub's advice).
 */
export function rateLimitWaitMs(error: unknown, now: number): number | undefined {
  if (!(error instanceof GitHubRequestError) || (error.status !== 403 && error.status !== 429))
    return undefined;
  const asked = retryAfterMs(error, now);
  if (asked !== undefined) return asked;
  if (
    rateLimitExhausted(error) ||
    error.status === 429 ||
    /secondary rate limit|abuse detection/i.test(error.message)
  )
    return 60_000;
  return undefined;
}

/** Rate-limit waits one execution of a step makes before it lets the error go to recovery. */
const RATE_LIMIT_WAITS = 5;

/**
 * `client.request(route, params)` for a step, with GitHub's rate limits waited out durably: on a
 * 403/429 rate limit the step waits what GitHub asks (`ctx.waitFor` with that deadline). A long
 * wait parks the run (nothing in memory; it wakes when the time has passed, and the step runs
 * again, asking again); a short one waits in memory and asks again. After five waits in one
 * execution the error goes to recovery (the `github_secondary_rate_limit` pattern retries it,
 * honouring `retry-after`). Other errors are thrown as GitHubRequestErrors.
 */
export async function requestWaitingOutLimits(
  ctx: StepContext,
  client: GitHubClient,
  route: string,
  params: Record<string, unknown>,
): Promise<{ status: number; data: unknown }> {
  for (let waits = 0; ; waits++) {
    try {
      const response = await client.request(route, { ...params, request: { signal: ctx.signal } });
      return { status: response.status, data: response.data };
    } catch (e) {
      if (ctx.signal.aborted) throw ctx.signal.reason;
      const error = githubError(e, `step '${ctx.stepId}': ${route}`);
      const waitMs = rateLimitWaitMs(error, ctx.clock.now());
      if (waitMs === undefined || waits >= RATE_LIMIT_WAITS) throw error;
      ctx.logger.warn("GitHub rate limit: waiting before asking again", {
        runId: ctx.runId,
        stepId: ctx.stepId,
        waitMs,
      });
      await ctx.waitFor({ deadline: ctx.clock.now() + waitMs });
    }
  }
}
