import { errorMessage, StageflowError } from "../engine/errors.js";

/**
 * What went wrong with the journal's storage:
 * - `not_sqlite`: the file exists but is not an SQLite database (it is left untouched);
 * - `read_only`: the database, its directory or its WAL files cannot be written;
 * - `newer_schema`: the database was written by a newer stageflow;
 * - `locked`: another process held the database longer than the busy timeout;
 * - `closed`: the journal was used after `close()`;
 * - `unknown_run` / `unknown_attempt`: a write named a run or attempt the journal does not have;
 * - `duplicate`: a run or attempt with that id is already recorded.
 */
export type StoreErrorCode =
  | "not_sqlite"
  | "read_only"
  | "newer_schema"
  | "locked"
  | "closed"
  | "unknown_run"
  | "unknown_attempt"
  | "duplicate";

/** A storage problem; its message names the database path when there is one. */
export class StoreError extends StageflowError {
  constructor(
    readonly code: StoreErrorCode,
    message: string,
    readonly path?: string,
    options?: { cause?: unknown },
  ) {
    super("invalid_input", message, options);
  }
}

export const isStoreError = (e: unknown): e is StoreError => e instanceof StoreError;

export const unknownRun = (runId: string): StoreError =>
  new StoreError("unknown_run", `no run '${runId}' in the journal`);

export const unknownAttempt = (runId: string, stepId: string, attempt: number): StoreError =>
  new StoreError(
    "unknown_attempt",
    `no attempt ${attempt} of step '${stepId}' in run '${runId}' was started`,
  );

export const duplicate = (what: string): StoreError =>
  new StoreError("duplicate", `${what} is already recorded`);

export const closedJournal = (where: string): StoreError =>
  new StoreError("closed", `the journal at ${where} is closed`, where);

const READ_ONLY_ERRNOS = new Set(["EACCES", "EPERM", "EROFS"]);

/**
 * Turns an error from SQLite or the file system into a StoreError naming `path`, when it is one
 * that the user can act on (read-only location, lock held too long); other errors pass through.
 */
export function storeErrorFrom(path: string, e: unknown): unknown {
  if (e instanceof StoreError) return e;
  const code = (e as { code?: unknown } | null)?.code;
  if (typeof code !== "string") return e;
  if (
    code.startsWith("SQLITE_READONLY") ||
    code.startsWith("SQLITE_CANTOPEN") ||
    READ_ONLY_ERRNOS.has(code)
  ) {
    return new StoreError(
      "read_only",
      `cannot write the journal at ${path}: read-only or not accessible (${code}: ${errorMessage(e)}); ` +
        "make the file and its directory writable, or choose another location with --db PATH",
      path,
      { cause: e },
    );
  }
  if (code.startsWith("SQLITE_BUSY") || code.startsWith("SQLITE_LOCKED")) {
    return new StoreError(
      "locked",
      `the journal at ${path} is locked by another process (${code}: ${errorMessage(e)}); ` +
        "wait for it to finish, or choose another location with --db PATH",
      path,
      { cause: e },
    );
  }
  return e;
}
