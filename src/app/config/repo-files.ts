/**
 * The files of a repository's stageflow configuration, as the contents API lists them on one
 * ref, and their text by blob SHA. Only these two routes are used:
 * `GET /repos/{owner}/{repo}/contents/{path}` and `GET /repos/{owner}/{repo}/git/blobs/{file_sha}`.
 */
import { Buffer } from "node:buffer";
import type { GitHubClient, RepoRef } from "../../github/client.js";

/** One entry of a directory listing. */
export interface RepoEntry {
  type: "file" | "dir" | "symlink" | "submodule";
  name: string;
  path: string;
  /** The blob SHA of a file, the tree SHA of a directory. */
  sha: string;
  size: number;
}

/**
 * The entries of the directory `path` on `ref`; `undefined` when it does not exist (404), or when
 * `path` is not a directory.
 */
export async function listDirectory(
  client: GitHubClient,
  repo: RepoRef,
  path: string,
  ref: string,
): Promise<RepoEntry[] | undefined> {
  try {
    const { data } = await client.request("GET /repos/{owner}/{repo}/contents/{path}", {
      owner: repo.owner,
      repo: repo.repo,
      path,
      ref,
    });
    if (!Array.isArray(data)) return undefined;
    return data.map((e) => ({
      type: e.type as RepoEntry["type"],
      name: e.name,
      path: e.path,
      sha: e.sha,
      size: e.size,
    }));
  } catch (e) {
    if (statusOf(e) === 404) return undefined;
    throw e;
  }
}

/** The text (UTF-8) of the blob `sha`. */
export async function loadBlobText(client: GitHubClient, repo: RepoRef, sha: string): Promise<string> {
  const { data } = await client.request("GET /repos/{owner}/{repo}/git/blobs/{file_sha}", {
    owner: repo.owner,
    repo: repo.repo,
    file_sha: sha,
  });
  if (data.encoding === "base64") return Buffer.from(data.content, "base64").toString("utf8");
  if (data.encoding === "utf-8" || data.encoding === "utf8") return data.content;
  throw new Error(`blob ${sha}: unexpected encoding '${data.encoding}'`);
}

function statusOf(e: unknown): number | undefined {
  const status = (e as { status?: unknown } | null)?.status;
  return typeof status === "number" ? status : undefined;
}
