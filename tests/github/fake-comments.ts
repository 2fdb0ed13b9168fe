/** An issue's comments as api.github.com would keep them, answered through nock. */
import type { FakeApi } from "./github-test-client.js";

export interface FakeComment {
  id: number;
  body: string;
  user: { login: string; type: "Bot" | "User" };
  performed_via_github_app: { slug: string } | null;
}

export const APP = { slug: "stageflow", login: "stageflow[bot]" };

/** A comment written by the app (or by `slug`'s app). */
export function botComment(id: number, body: string, slug = APP.slug): FakeComment {
  return { id, body, user: { login: `${slug}[bot]`, type: "Bot" }, performed_via_github_app: { slug } };
}

/** A comment written by a person. */
export function userComment(id: number, body: string, login = "octocat"): FakeComment {
  return { id, body, user: { login, type: "User" }, performed_via_github_app: null };
}

/**
 * Answers list, create and update of the comments of `owner/repo#issue`. `failCreates` creates
 * that apply and then answer 502 (a gateway that lost the answer).
 */
export function fakeComments(
  api: FakeApi,
  options: { owner?: string; repo?: string; issue?: number; comments?: FakeComment[]; failCreates?: number },
): { comments: FakeComment[] } {
  const { owner = "o", repo = "r", issue = 7 } = options;
  const comments = [...(options.comments ?? [])];
  let failCreates = options.failCreates ?? 0;
  let nextId = 1000;
  api.persistent
    .get(`/repos/${owner}/${repo}/issues/${issue}/comments`)
    .query(true)
    .reply((uri) => {
      const params = new URL(uri, "https://api.github.com").searchParams;
      const perPage = Number(params.get("per_page") ?? 30);
      const page = Number(params.get("page") ?? 1);
      return [200, comments.slice((page - 1) * perPage, page * perPage)];
    })
    .post(`/repos/${owner}/${repo}/issues/${issue}/comments`)
    .reply((_uri, body) => {
      const comment = botComment(nextId++, (body as { body: string }).body);
      comments.push(comment);
      if (failCreates > 0) {
        failCreates--;
        return [502, { message: "Server Error" }];
      }
      return [201, comment];
    })
    .patch(/^\/repos\/[^/]+\/[^/]+\/issues\/comments\/\d+$/)
    .reply((uri, body) => {
      const id = Number(uri.split("/").pop());
      const comment = comments.find((c) => c.id === id);
      if (!comment) return [404, { message: "Not Found" }];
      comment.body = (body as { body: string }).body;
      return [200, comment];
    });
  return { comments };
}
