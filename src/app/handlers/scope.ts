/**
 * One webhook event's working set: where it happened, who did it, the installation's client,
 * the repository's configuration (loaded once, on demand), and the ways of answering there
 * (a reaction on the comment, a reply on the issue or PR).
 */
import type { GitHubClient, RepoRef } from "../../github/client.js";
import { fitBody } from "../../github/limits.js";
import type { AppDeps, ReactionContent, RepoConfig, TemplateOverrides } from "./deps.js";

/** The fields of a webhook payload the handlers read (every event the app handles has them). */
export interface PayloadBasics {
  installation?: { id: number } | null;
  repository?: { name: string; owner: { login: string }; default_branch?: string; full_name?: string } | null;
  sender?: { login: string; type?: string } | null;
}

export interface EventScope extends RepoRef {
  deps: AppDeps;
  deliveryId: string;
  installationId: number;
  defaultBranch: string;
  actor: string;
  senderIsBot: boolean;
  client: GitHubClient;
  /** The issue or PR the event concerns, when it has one (replies go there). */
  issueNumber: number | null;
  /** The comment that carried a command (reactions go there). */
  commentId: number | null;
  /** The command line as written (replies quote it); null for a label or a button. */
  command: string | null;
  config(): Promise<RepoConfig>;
  react(content: ReactionContent): Promise<void>;
  reply(template: string, data: Record<string, unknown>): Promise<void>;
}

/**
 * The repository's template overrides (`.github/stageflow/templates/<name>.md`) as the renderer
 * takes them: by template name, each read (by blob SHA) only when the renderer's cache misses.
 */
export function templateOverrides(
  deps: Pick<AppDeps, "workflows">,
  client: GitHubClient,
  repo: RepoRef,
  config: Pick<RepoConfig, "templates">,
): TemplateOverrides {
  const overrides: TemplateOverrides = {};
  for (const [file, ref] of config.templates) {
    overrides[file.replace(/\.md$/, "")] = {
      sha: ref.sha,
      path: ref.path,
      load: () => deps.workflows.templateText(client, repo, ref.sha),
    };
  }
  return overrides;
}

/** The scope of an event, or undefined when it has no installation or repository (ignored). */
export async function scopeOf(
  deps: AppDeps,
  deliveryId: string,
  payload: PayloadBasics,
  where: { issueNumber: number | null; commentId?: number | null },
): Promise<EventScope | undefined> {
  const installationId = payload.installation?.id;
  const repository = payload.repository;
  if (installationId === undefined || !repository) return undefined;
  const client = await deps.clientFor(installationId);
  let config: Promise<RepoConfig> | undefined;
  const scope: EventScope = {
    deps,
    deliveryId,
    installationId,
    owner: repository.owner.login,
    repo: repository.name,
    defaultBranch: repository.default_branch ?? "main",
    actor: payload.sender?.login ?? "",
    senderIsBot: payload.sender?.type === "Bot",
    client,
    issueNumber: where.issueNumber,
    commentId: where.commentId ?? null,
    command: null,
    config: () =>
      (config ??= deps.workflows.load(client, {
        owner: scope.owner,
        repo: scope.repo,
        defaultBranch: scope.defaultBranch,
      })),
    react: async (content) => {
      if (scope.commentId === null) return;
      try {
        await deps.github.addReaction(client, {
          owner: scope.owner,
          repo: scope.repo,
          commentId: scope.commentId,
          content,
        });
      } catch (error) {
        deps.log.warn("reaction failed", { content, error: String(error) });
      }
    },
    reply: async (template, data) => {
      if (scope.issueNumber === null) return;
      const overrides = await scope.config().then(
        (c) => templateOverrides(deps, client, scope, c),
        (): TemplateOverrides => ({}),
      );
      const { text } = await deps.renderer.render(
        template,
        { actor: scope.actor, command: scope.command, ...data },
        overrides[template],
      );
      // Cut to GitHub's limit on a comment's body (a longer one is a 422, however often retried).
      const body = fitBody(text, {
        note: (cut) => `…(cut: ${cut} characters over GitHub's limit on a comment)`,
      });
      await client.request("POST /repos/{owner}/{repo}/issues/{issue_number}/comments", {
        owner: scope.owner,
        repo: scope.repo,
        issue_number: scope.issueNumber,
        body,
      });
    },
  };
  return scope;
}

/** Whether the event's sender is to be ignored: this app always, other bots unless allowed. */
export async function ignoredSender(scope: EventScope): Promise<boolean> {
  if (scope.actor === `${scope.deps.appSlug}[bot]`) return true;
  if (!scope.senderIsBot) return false;
  const { settings } = await scope.config();
  return !settings.allow_bots;
}
