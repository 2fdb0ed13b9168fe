/**
 * The Action's checkpoint store: journal snapshots kept as workflow-run artifacts.
 *
 * Naming. GitHub makes artifact names unique per workflow run, across jobs and attempts (a second
 * upload of a name is a 409), so every upload gets its own name:
 *
 *     stageflow-<job>-<key>-a<attempt>-<seq>
 *
 * `job` is the job id (`GITHUB_JOB`), `key` identifies the stageflow run within the job (the host
 * passes a short stable value, e.g. a hash of the workflow path), `attempt` is
 * `GITHUB_RUN_ATTEMPT` and `seq` the host's checkpoint counter within the attempt. `job` is
 * reduced to `[A-Za-z0-9_.-]`, `key` to `[A-Za-z0-9_.]` (no `-`, so a name parses back
 * unambiguously from the end); other characters become `_`.
 *
 * `save` uploads a snapshot, then deletes this attempt's previous one, so each attempt keeps at
 * most one (plus, briefly, the new one). `restoreLatest` on a re-run takes the newest checkpoint
 * of an earlier attempt of the same job and key, downloads it unextracted and checks its sha256
 * against the digest the service listed before unpacking it.
 *
 * Retries belong to the client (`@actions/artifact` 6.2.1); none is configurable by option or
 * environment (it builds its Twirp client and Azure `BlobClient` without options), so this store
 * adds none of its own:
 * - Twirp calls: 5 attempts, 3 s then ×1.5 with jitter (~25–35 s) on 429/500/502/503/504 or an
 *   unparsable answer; other 4xx fail at once; ECONNREFUSED/ECONNRESET/ETIMEDOUT/ENOTFOUND/
 *   EHOSTUNREACH fail at once as a NetworkError.
 * - Blob upload: 4 tries after 0, 4 and 12 s (the "~16 s") on 500/503 and network errors.
 *   `ACTIONS_ARTIFACT_UPLOAD_TIMEOUT_MS` (default 300000) bounds a stalled upload.
 * - Blob download: any failure, a non-200 status included, is retried 5 times 5 s apart (~25 s);
 *   a chunk that does not arrive in 30 s counts as a failure.
 */
import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { tmpdir } from "node:os";
import { performance } from "node:perf_hooks";
import { defaultArtifactPort, readZip, type ArtifactPort } from "./artifact-port.js";
import type { CheckpointStore, SavedCheckpoint as SavedCheckpointPort } from "./ports.js";

export interface CheckpointStoreOptions {
  /**
   * The artifact client.
   * @default defaultArtifactPort() — the real client, configured by the runner's environment
   */
  port?: ArtifactPort;
  /** The job id, `GITHUB_JOB`. */
  job: string;
  /** A short stable key for the stageflow run within the job, e.g. a hash of the workflow path. */
  key: string;
  /** This job's attempt, `GITHUB_RUN_ATTEMPT` (an integer ≥ 1). */
  attempt: number;
  /**
   * Days the service keeps a checkpoint; undefined leaves the repository's default.
   * @default undefined
   */
  retentionDays?: number;
  /**
   * zlib level of the artifact ZIP, 0–9. SQLite pages compress well even at level 1, and the
   * upload sits on the stage's critical path.
   * @default 1
   */
  compressionLevel?: number;
  /**
   * Called when something went wrong that does not fail the operation (a previous checkpoint that
   * could not be deleted).
   * @default ignore
   */
  warn?: (message: string) => void;
  /**
   * Milliseconds, for the `ms` of a result.
   * @default performance.now
   */
  now?: () => number;
}

export interface CheckpointName {
  job: string;
  key: string;
  attempt: number;
  seq: number;
}

/** The host's `SavedCheckpoint` plus the artifact's id and digest. */
export interface SavedCheckpoint extends SavedCheckpointPort {
  id: number;
  name: string;
  /** Bytes uploaded (the ZIP). */
  bytes: number;
  /** `sha256:<hex>` of the uploaded ZIP, as the service lists it. */
  digest: string | undefined;
  /** Time of upload plus the deletion of the previous checkpoint. */
  ms: number;
}

export interface RestoredCheckpoint {
  /** The restored snapshot: `<intoDir>/<the snapshot's file name>`. */
  path: string;
  id: number;
  name: string;
  attempt: number;
  seq: number;
  digest: string;
  ms: number;
}

/** The host's `CheckpointStore` port (src/action/ports.ts) on artifacts, with richer results. */
export interface ArtifactCheckpointStore extends CheckpointStore {
  readonly attempt: number;
  /** The artifact name of checkpoint `seq` of this attempt. */
  nameOf(seq: number): string;
  /**
   * Uploads the snapshot file as checkpoint `seq` of this attempt, then deletes this attempt's
   * previous checkpoint (a failed deletion is only a warning). Throws a `CheckpointError` naming
   * the artifact and the service's answer when the upload fails.
   */
  save(snapshotFile: string, seq: number): Promise<SavedCheckpoint>;
  /**
   * On a re-run (`attempt` > 1), downloads the newest checkpoint of an attempt before `attempt`
   * (highest attempt, then highest seq) into the directory `intoDir` and returns it; null when
   * there is none or on a first attempt. Throws a `CheckpointError` when the listing or download
   * fails or the content does not match the listed digest.
   */
  restoreLatest(attempt: number, intoDir: string): Promise<RestoredCheckpoint | null>;
}

/** A checkpoint operation that failed; the message names the artifact and the operation. */
export class CheckpointError extends Error {
  override readonly name = "CheckpointError";
  constructor(
    message: string,
    readonly artifact: string | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function isCheckpointError(error: unknown): error is CheckpointError {
  return error instanceof CheckpointError;
}

const sanitize = (value: string, allowed: RegExp): string => value.replace(allowed, "_");

function prefixOf(job: string, key: string): string {
  return `stageflow-${sanitize(job, /[^A-Za-z0-9_.-]/g)}-${sanitize(key, /[^A-Za-z0-9_.]/g)}-a`;
}

/** The artifact name of a checkpoint (see the module comment). */
export function checkpointArtifactName(name: CheckpointName): string {
  return `${prefixOf(name.job, name.key)}${name.attempt}-${name.seq}`;
}

/** The attempt and seq of a checkpoint name of this job and key, or null when it is not one. */
export function parseCheckpointArtifactName(
  artifact: string,
  job: string,
  key: string,
): { attempt: number; seq: number } | null {
  const prefix = prefixOf(job, key);
  if (!artifact.startsWith(prefix)) return null;
  const match = /^(\d+)-(\d+)$/.exec(artifact.slice(prefix.length));
  return match ? { attempt: Number(match[1]), seq: Number(match[2]) } : null;
}

const message = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/**
 * The `checkpoints` dependency of the Action host (`ActionDeps.checkpoints`): a store per run key
 * for this job and attempt.
 */
export function artifactCheckpoints(
  job: { job: string; attempt: number },
  options: Pick<CheckpointStoreOptions, "port" | "compressionLevel" | "warn" | "now"> = {},
): (key: string, retentionDays: number) => ArtifactCheckpointStore {
  const port = options.port ?? defaultArtifactPort();
  return (key, retentionDays) => createCheckpointStore({ ...options, port, ...job, key, retentionDays });
}

export function createCheckpointStore(options: CheckpointStoreOptions): ArtifactCheckpointStore {
  const { job, key, attempt, retentionDays } = options;
  const port = options.port ?? defaultArtifactPort();
  const compressionLevel = options.compressionLevel ?? 1;
  const warn = options.warn ?? (() => {});
  const now = options.now ?? (() => performance.now());
  if (!Number.isInteger(attempt) || attempt < 1) {
    throw new TypeError(`checkpoints: attempt must be an integer ≥ 1, got ${String(attempt)}`);
  }
  if (!Number.isInteger(compressionLevel) || compressionLevel < 0 || compressionLevel > 9) {
    throw new TypeError(`checkpoints: compressionLevel must be 0–9, got ${String(compressionLevel)}`);
  }
  if (retentionDays !== undefined && (!Number.isInteger(retentionDays) || retentionDays < 1)) {
    throw new TypeError(`checkpoints: retentionDays must be a whole number of days ≥ 1, got ${String(retentionDays)}`);
  }
  if (job === "" || key === "") throw new TypeError("checkpoints: job and key must not be empty");
  let previous: string | undefined;

  const nameOf = (seq: number): string => checkpointArtifactName({ job, key, attempt, seq });

  async function save(snapshotFile: string, seq: number): Promise<SavedCheckpoint> {
    if (!Number.isInteger(seq) || seq < 0) throw new TypeError(`checkpoints: seq must be an integer ≥ 0, got ${String(seq)}`);
    const started = now();
    const name = nameOf(seq);
    try {
      await stat(snapshotFile);
    } catch (error) {
      throw new CheckpointError(`Checkpoint "${name}": cannot read the snapshot ${snapshotFile}: ${message(error)}`, name, { cause: error });
    }
    let uploaded;
    try {
      uploaded = await port.uploadArtifact(name, [snapshotFile], dirname(snapshotFile), {
        compressionLevel,
        ...(retentionDays === undefined ? {} : { retentionDays }),
      });
    } catch (error) {
      throw new CheckpointError(`Checkpoint upload of artifact "${name}" failed: ${message(error)}`, name, { cause: error });
    }
    if (uploaded.id === undefined) {
      throw new CheckpointError(`Checkpoint upload of artifact "${name}" failed: the service returned no artifact id`, name);
    }
    if (previous !== undefined && previous !== name) {
      try {
        await port.deleteArtifact(previous);
      } catch (error) {
        warn(`Could not delete the previous checkpoint artifact "${previous}": ${message(error)}`);
      }
    }
    previous = name;
    return {
      id: uploaded.id,
      name,
      bytes: uploaded.size ?? 0,
      digest: uploaded.digest ? `sha256:${uploaded.digest}` : undefined,
      ms: now() - started,
    };
  }

  async function restoreLatest(current: number, into: string): Promise<RestoredCheckpoint | null> {
    if (current <= 1) return null;
    const started = now();
    let artifacts;
    try {
      ({ artifacts } = await port.listArtifacts());
    } catch (error) {
      throw new CheckpointError(`Listing this run's artifacts to find a checkpoint failed: ${message(error)}`, undefined, { cause: error });
    }
    const candidates = artifacts
      .map((artifact) => ({ artifact, parsed: parseCheckpointArtifactName(artifact.name, job, key) }))
      .filter((c): c is typeof c & { parsed: { attempt: number; seq: number } } => c.parsed !== null && c.parsed.attempt < current)
      .sort((a, b) => b.parsed.attempt - a.parsed.attempt || b.parsed.seq - a.parsed.seq);
    const latest = candidates[0];
    if (!latest) return null;
    const { artifact, parsed } = latest;
    const name = artifact.name;
    if (!artifact.digest) {
      throw new CheckpointError(`Checkpoint artifact "${name}" has no digest in the service's listing, so it cannot be verified`, name);
    }
    const scratch = await mkdtemp(join(tmpdir(), "stageflow-checkpoint-"));
    try {
      let downloaded;
      try {
        downloaded = await port.downloadArtifact(artifact.id, { path: scratch, expectedHash: artifact.digest, skipDecompress: true });
      } catch (error) {
        throw new CheckpointError(`Checkpoint download of artifact "${name}" (id ${artifact.id}) failed: ${message(error)}`, name, { cause: error });
      }
      const files = await readdir(scratch);
      if (files.length !== 1) {
        throw new CheckpointError(`Checkpoint download of artifact "${name}" produced ${files.length} files instead of one archive`, name);
      }
      const zip = await readFile(join(scratch, files[0]!));
      const actual = `sha256:${createHash("sha256").update(zip).digest("hex")}`;
      if (downloaded.digestMismatch || actual !== artifact.digest) {
        throw new CheckpointError(
          `Checkpoint artifact "${name}" is corrupted: its content has digest ${actual}, the service listed ${artifact.digest}`,
          name,
        );
      }
      let entries: Map<string, Buffer>;
      try {
        entries = readZip(zip);
      } catch (error) {
        throw new CheckpointError(`Checkpoint artifact "${name}" is not a readable archive: ${message(error)}`, name, { cause: error });
      }
      if (entries.size !== 1) {
        throw new CheckpointError(`Checkpoint artifact "${name}" holds ${entries.size} files; a checkpoint holds one snapshot`, name);
      }
      const [[entry, data]] = [...entries] as [[string, Buffer]];
      await mkdir(into, { recursive: true });
      const path = join(into, basename(entry));
      await writeFile(path, data);
      return { path, id: artifact.id, name, attempt: parsed.attempt, seq: parsed.seq, digest: artifact.digest, ms: now() - started };
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  }

  return { attempt, nameOf, save, restoreLatest };
}
