/**
 * A GitHub issue per firing group, in a configured repository: opened when the group fires,
 * commented on each change or escalation, commented and closed when it resolves. The issue is
 * found again by a hidden marker (also after a restart), so a group never opens two issues.
 * Calls go through src/github's client (`request`), whose retry plugin is off: the dispatcher
 * owns retries.
 */
import { createHash } from "node:crypto";
import type { GitHubClient, RepoRef } from "../../../github/index.js";
import { bodyOf, subjectOf } from "../format.js";
import type { AlertChannel, AlertNotification } from "../types.js";

export interface GitHubIssueChannelOptions {
  client: GitHubClient;
  repo: RepoRef;
  /** Label put on alert issues (and used to find them). @default "stageflow-alert" */
  label?: string;
  /** @default "github" */
  name?: string;
}

/** The hidden marker that ties an issue to a group. */
export function issueMarker(groupKey: string): string {
  return `<!-- stageflow-alert:${createHash("sha256").update(groupKey).digest("hex").slice(0, 24)} -->`;
}

interface Issue {
  number: number;
  body?: string | null;
  pull_request?: unknown;
}

export function gitHubIssueChannel(options: GitHubIssueChannelOptions): AlertChannel {
  const { client, repo } = options;
  const label = options.label ?? "stageflow-alert";
  const known = new Map<string, number>();

  async function find(marker: string): Promise<number | undefined> {
    for (let page = 1; page <= 10; page++) {
      const { data } = await client.request("GET /repos/{owner}/{repo}/issues", {
        ...repo,
        state: "open",
        labels: label,
        per_page: 100,
        page,
      });
      const issues = data as Issue[];
      const hit = issues.find((i) => !i.pull_request && (i.body ?? "").includes(marker));
      if (hit) return hit.number;
      if (issues.length < 100) return undefined;
    }
    return undefined;
  }

  const comment = (number: number, body: string) =>
    client.request("POST /repos/{owner}/{repo}/issues/{issue_number}/comments", {
      ...repo,
      issue_number: number,
      body,
    });

  const close = (number: number) =>
    client.request("PATCH /repos/{owner}/{repo}/issues/{issue_number}", {
      ...repo,
      issue_number: number,
      state: "closed",
      state_reason: "completed",
    });

  return {
    name: options.name ?? "github",
    async send(n: AlertNotification) {
      const marker = issueMarker(n.groupKey);
      let number = known.get(n.groupKey) ?? (await find(marker));
      if (n.status === "resolved") {
        if (number === undefined) return; // nothing open for this group
        await comment(number, `${subjectOf(n)}\n\n${bodyOf(n)}`);
        await close(number);
        known.delete(n.groupKey);
        return;
      }
      if (number === undefined) {
        const { data } = await client.request("POST /repos/{owner}/{repo}/issues", {
          ...repo,
          title: subjectOf(n),
          body: `${bodyOf(n)}\n\n${marker}`,
          labels: [label],
        });
        number = (data as Issue).number;
        known.set(n.groupKey, number);
      } else {
        known.set(n.groupKey, number);
        await comment(number, `${subjectOf(n)}\n\n${bodyOf(n)}`);
      }
      if (n.status === "test") {
        await close(number);
        known.delete(n.groupKey);
      }
    },
  };
}
