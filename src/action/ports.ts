/** What the Action host needs from its surroundings: the runner's commands, the journal, artifacts, GitHub. */
import type { GitHubClient } from "../github/client.js";
import type { Clock, Journal } from "../index.js";
import type { Env } from "./inputs.js";

/** Where an annotation points (`::error file=...,line=...`). */
export interface AnnotationProps {
  title?: string;
  file?: string;
  startLine?: number;
  startColumn?: number;
}

/** The runner's workflow commands, as `@actions/core` gives them. */
export interface ActionOutput {
  info(message: string): void;
  warning(message: string, props?: AnnotationProps): void;
  error(message: string, props?: AnnotationProps): void;
  notice(message: string, props?: AnnotationProps): void;
  setFailed(message: string): void;
  setOutput(name: string, value: string): void;
  setSecret(value: string): void;
  startGroup(name: string): void;
  endGroup(): void;
  /** Appends Markdown to the job summary (`$GITHUB_STEP_SUMMARY`). */
  writeSummary(markdown: string): Promise<void>;
}

/** The journal, with the consistent online snapshot the checkpoints upload. */
export interface ActionJournal extends Journal {
  snapshot(dest: string): Promise<{ path: string; bytes: number }>;
}

/** A checkpoint uploaded. */
export interface SavedCheckpoint {
  name: string;
  bytes: number;
  ms: number;
}

/** Checkpoints of one stageflow run of one job, kept as workflow-run artifacts. */
export interface CheckpointStore {
  /** Uploads the snapshot file as this attempt's checkpoint number `seq`. */
  save(snapshotFile: string, seq: number): Promise<SavedCheckpoint>;
  /**
   * Downloads the latest checkpoint of an attempt before `attempt` into `intoDir` (its digest
   * checked) and returns the snapshot file's path, or null when there is none.
   */
  restoreLatest(attempt: number, intoDir: string): Promise<{ path: string; name: string } | null>;
}

export interface ActionDeps {
  env: Env;
  cwd: string;
  out: ActionOutput;
  /** Opens (creating) the journal at `path`. */
  openJournal(path: string, durability: "process" | "machine"): ActionJournal;
  /** Throws an Error saying why when the file is not a sound journal snapshot. */
  verifySnapshot(path: string): void | Promise<void>;
  /** The checkpoint store for a run key; absent: checkpoints are off. */
  checkpoints?: (key: string, retentionDays: number) => CheckpointStore;
  /** A GitHub client for the PR comment. */
  github?: (token: string, apiUrl: string) => GitHubClient;
  /** The built-in templates' directory (the Action's bundle is not where the sources are). */
  templatesDir?: string;
  clock?: Clock;
  /** Aborted when the runner cancels the job (SIGINT/SIGTERM). */
  stop?: AbortSignal;
}
