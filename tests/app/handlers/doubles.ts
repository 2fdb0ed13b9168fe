/**
 * Test doubles for the modules other branches are building (the AppStore on SQLite, the workflow
 * source, the command parser, the renderer, src/github's writers), so that the handlers can be
 * tested before they land. Each is the smallest thing that behaves as the port says; the GitHub
 * writers go over HTTP so that the loopback GitHub (and its openapi check) sees every call.
 */
import { type Engine, parseWorkflow, type RunReport } from "stageflow";
import type {
  AppSettings,
  CommentLike,
  GitHubPort,
  ParseCommand,
  ParsedCommand,
  Permission,
  RendererPort,
  RepoConfig,
  InvalidWorkflow,
  WorkflowSourcePort,
} from "../../../src/app/handlers/deps.js";
import type { AppStore, InboxEntry, ReportTarget } from "../../../src/app/state/types.js";
import type { DispatchRecord } from "../../../src/steps/github/dispatch-registry.js";

export const DEFAULT_SETTINGS: AppSettings = {
  command_prefix: "/stageflow",
  permission: "write",
  teams: [],
  allow_bots: false,
  needs_trust: [],
};

/** An AppStore in memory. */
export function memoryStore(): AppStore & { targets: Map<string, ReportTarget> } {
  const inbox = new Map<string, InboxEntry>();
  const targets = new Map<string, ReportTarget>();
  const cursors = new Map<string, number>();
  const dispatches = new Map<string, DispatchRecord>();
  return {
    targets,
    async recordDelivery(d) {
      if (inbox.has(d.id)) return false;
      inbox.set(d.id, { ...d, status: "pending", attempts: 0, error: null, finishedAt: null });
      return true;
    },
    async pendingDeliveries(limit) {
      return [...inbox.values()].filter((e) => e.status === "pending").slice(0, limit);
    },
    async startDelivery(id) {
      const e = inbox.get(id);
      if (e) e.attempts++;
    },
    async finishDelivery(id, outcome) {
      const e = inbox.get(id);
      if (e)
        Object.assign(e, { status: outcome.status, error: outcome.error ?? null, finishedAt: outcome.at });
    },
    async getDelivery(id) {
      return inbox.get(id);
    },
    async inboxStats() {
      const pending = [...inbox.values()].filter((e) => e.status === "pending");
      return { pending: pending.length, oldestPendingAt: pending[0]?.receivedAt ?? null, total: inbox.size };
    },
    async reportTarget(runId) {
      const t = targets.get(runId);
      return t && { ...t };
    },
    async saveReportTarget(target) {
      targets.set(target.runId, { ...target });
    },
    async cursor(name) {
      return cursors.get(name) ?? 0;
    },
    async setCursor(name, value) {
      cursors.set(name, value);
    },
    async close() {},
    async get(key) {
      return dispatches.get(key);
    },
    async put(record) {
      dispatches.set(record.key, { ...record });
    },
    async byWorkflowRun(id) {
      return [...dispatches.values()].filter((r) => r.workflowRunId === id);
    },
    async waiting() {
      return [...dispatches.values()].filter((r) => r.status === "waiting");
    },
    async complete(key) {
      const r = dispatches.get(key);
      if (r) r.status = "completed";
    },
  };
}

/** Workflows from YAML texts (as the default branch would have them). */
export function workflowSource(
  engine: Engine,
  files: Record<string, string>,
  settings: Partial<AppSettings> = {},
  invalid: InvalidWorkflow[] = [],
): WorkflowSourcePort & { loads: number; invalidated: string[] } {
  const source = {
    loads: 0,
    invalidated: [] as string[],
    async load(): Promise<RepoConfig> {
      source.loads++;
      const workflows = Object.entries(files).map(([file, text]) => {
        const plan = parseWorkflow(text, { file, kinds: engine.kinds });
        return { file, sha: file, plan, name: plan.name, labels: plan.on.labels, commands: plan.on.commands };
      });
      return {
        settings: { ...DEFAULT_SETTINGS, ...settings },
        workflows,
        problems: invalid.flatMap((w) => w.problems),
        invalid,
        templates: new Map(),
        commands: new Map(workflows.flatMap((w) => w.commands.map((c) => [c, w.name] as const))),
      };
    },
    async templateText(): Promise<string> {
      throw new Error("no template overrides here");
    },
    invalidate(repo: { owner: string; repo: string }) {
      source.invalidated.push(`${repo.owner}/${repo.repo}`);
    },
  };
  return source;
}

/** The command grammar, just enough of it: `/stageflow VERB ...`, `/CMD k=v`, `#RUN`. */
export const parseCommand: ParseCommand = (body, { prefix, commands }) => {
  const raw = body.trimStart().split("\n", 1)[0]!.trim();
  const words = raw.split(/\s+/);
  const run = words.find((w) => w.startsWith("#"))?.slice(1);
  const rest = words.filter((w) => !w.startsWith("#"));
  const at = run === undefined ? {} : { run };
  const start = (workflow: string, list: string[]): ParsedCommand => {
    const params: Record<string, string> = {};
    for (const p of list) {
      const i = p.indexOf("=");
      if (i <= 0) return { raw, kind: "invalid", message: `'${p}' is not key=value` };
      params[p.slice(0, i)] = p.slice(i + 1);
    }
    return { raw, kind: "run", workflow, params };
  };
  if (rest[0] === prefix) {
    const verb = rest[1] ?? "help";
    switch (verb) {
      case "run":
        return start(rest[2] ?? "", rest.slice(3));
      case "retry":
        return { raw, kind: "retry", ...(rest[2] ? { step: rest[2] } : {}), ...at };
      case "skip":
        return rest[2]
          ? { raw, kind: "skip", step: rest[2], ...at }
          : { raw, kind: "invalid", message: "skip needs a STEP" };
      case "resume":
      case "cancel":
      case "approve":
      case "status":
        return { raw, kind: verb, ...at };
      case "help":
        return { raw, kind: "help" };
      default:
        return { raw, kind: "unknown", word: verb };
    }
  }
  const name = rest[0]!.slice(1);
  return commands.has(name) ? start(commands.get(name)!, rest.slice(1)) : undefined;
};

/** A renderer whose outputs say what the tests look for (state, steps, data of replies). */
export const renderer: RendererPort<RunReport> = {
  runView: (report) => report,
  checkRunOutput: async (report) => ({
    title: `${report.run.workflow}: ${report.state}`,
    summary: report.stages
      .flatMap((s) => s.steps.map((step) => `| ${step.id} | ${step.status} | ${step.attempts} |`))
      .join("\n"),
    annotations: [],
  }),
  commentBody: async (report) => `**${report.run.workflow}**: ${report.state}`,
  render: async (name, data) => ({ text: `${name}\n${JSON.stringify(data)}` }),
};

const RANK: Permission[] = ["read", "triage", "write", "maintain", "admin"];

/** src/github's writers, over the client (what H1 builds, reduced to what these tests need). */
export const github: GitHubPort = {
  markerFor: (runId) => `<!-- stageflow:run:${runId} -->`,
  ownCommentBy:
    ({ appSlug }) =>
    (c: CommentLike) =>
      c.performed_via_github_app?.slug === appSlug,
  async upsertComment(client, o) {
    const body = `${o.body}\n\n${o.marker}`;
    if (o.commentId) {
      await client.request("PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}", {
        owner: o.owner,
        repo: o.repo,
        comment_id: o.commentId,
        body,
      });
      return { id: o.commentId, created: false };
    }
    const { data } = await client.request("POST /repos/{owner}/{repo}/issues/{issue_number}/comments", {
      owner: o.owner,
      repo: o.repo,
      issue_number: o.issueNumber,
      body,
    });
    return { id: Number(data.id), created: true };
  },
  async upsertCheckRun(client, o) {
    const fields = {
      owner: o.owner,
      repo: o.repo,
      name: o.name,
      external_id: o.externalId,
      status: o.status,
      ...(o.conclusion ? { conclusion: o.conclusion as "success" } : {}),
      ...(o.startedAt ? { started_at: o.startedAt } : {}),
      ...(o.completedAt ? { completed_at: o.completedAt } : {}),
      output: { title: o.output.title, summary: o.output.summary },
      actions: o.actions ?? [],
    };
    if (o.checkRunId) {
      await client.request("PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}", {
        ...fields,
        check_run_id: o.checkRunId,
      });
      return { id: o.checkRunId, created: false };
    }
    const { data } = await client.request("POST /repos/{owner}/{repo}/check-runs", {
      ...fields,
      head_sha: o.headSha,
    });
    return { id: Number(data.id), created: true };
  },
  async addReaction(client, o) {
    await client.request("POST /repos/{owner}/{repo}/issues/comments/{comment_id}/reactions", {
      owner: o.owner,
      repo: o.repo,
      comment_id: o.commentId,
      content: o.content,
    });
    return true;
  },
  async checkPermission(client, o) {
    try {
      const { data } = await client.request("GET /repos/{owner}/{repo}/collaborators/{username}/permission", {
        owner: o.owner,
        repo: o.repo,
        username: o.username,
      });
      const has = (data as { role_name?: string }).role_name ?? data.permission;
      const allowed = RANK.indexOf(has as Permission) >= RANK.indexOf(o.required);
      return { allowed, permission: has, reason: allowed ? "permission" : `has ${has}` };
    } catch (error) {
      return { allowed: false, permission: null, reason: `lookup failed: ${String(error)}` };
    }
  },
};
