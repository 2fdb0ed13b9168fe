import { errorMessage, StageflowError } from "../engine/errors.js";
import { SQLITE_RESULT_CODES } from "./sqlite/result-codes.js";

/**
 * What went wrong with the journal's storage:
 * - `not_sqlite`: the file exists but is not an SQLite database (it is left untouched);
 * - `bad_path`: the path cannot hold a journal (a parent is a file, it names a directory, a
 *   device or a FIFO, or it is too long);
 * - `read_only`: the database, its directory or its WAL files cannot be written;
 * - `newer_schema`: the database was written by a newer stageflow;
 * - `older_schema`: a read-only open found a journal that needs a migration first;
 * - `missing`: a read-only open found no journal (nothing has run with this path yet);
 * - `corrupt`: SQLite found the file damaged (or its `-wal`/`-shm` removed while in use);
 * - `full`: the disk (or the journal's size limit) is full;
 * - `io`: the operating system failed a read or write of the journal;
 * - `locked`: another process held the database longer than the busy timeout;
 * - `closed`: the journal was used after `close()`;
 * - `unknown_run` / `unknown_attempt`: a write named a run or attempt the journal does not have;
 * - `duplicate`: a run or attempt with that id is already recorded.
 */
export type StoreErrorCode =
  | "not_sqlite"
  | "bad_path"
  | "read_only"
  | "newer_schema"
  | "older_schema"
  | "missing"
  | "corrupt"
  | "full"
  | "io"
  | "locked"
  | "closed"
  | "unknown_run"
  | "unknown_attempt"
  | "duplicate";

/**
 * The Journal port's storage code of each StoreErrorCode (see the Journal interface): a damaged
 * file or one that is not a journal is `storage_corrupt`; every other fault of the storage is
 * `storage_unavailable`. A write naming an unknown run or attempt, or a duplicate id, is no
 * storage fault: `invalid_input`.
 */
const REASON_OF: Record<StoreErrorCode, "storage_unavailable" | "storage_corrupt" | "invalid_input"> = {
  not_sqlite: "storage_corrupt",
  corrupt: "storage_corrupt",
  bad_path: "storage_unavailable",
  read_only: "storage_unavailable",
  newer_schema: "storage_unavailable",
  older_schema: "storage_unavailable",
  missing: "storage_unavailable",
  full: "storage_unavailable",
  io: "storage_unavailable",
  locked: "storage_unavailable",
  closed: "storage_unavailable",
  unknown_run: "invalid_input",
  unknown_attempt: "invalid_input",
  duplicate: "invalid_input",
};

/**
 * A storage problem; its message names the database path when there is one. `code` says what
 * exactly; `reason` is the Journal port's storage code (`storage_corrupt`, `storage_unavailable`)
 * or `invalid_input` for a write the journal refused (unknown run or attempt, duplicate).
 */
export class StoreError extends StageflowError {
  constructor(
    readonly code: StoreErrorCode,
    message: string,
    readonly path?: string,
    options?: { cause?: unknown },
  ) {
    super(REASON_OF[code], message, options);
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

export const openedReadOnly = (where: string): StoreError =>
  new StoreError("read_only", `the journal at ${where} was opened read-only; this command only reads`, where);

const ELSEWHERE = "or choose another location with --db PATH";

/** Which SQLite result codes (by prefix) and errno codes mean what, and what to say about them. */
const KINDS: ReadonlyArray<{
  code: StoreErrorCode;
  matches: (code: string) => boolean;
  say: (path: string, detail: string) => string;
}> = [
  {
    code: "read_only",
    matches: (c) => /^SQLITE_(READONLY|CANTOPEN|PERM|AUTH)/.test(c) || /^(EACCES|EPERM|EROFS)$/.test(c),
    say: (path, detail) =>
      `cannot write the journal at ${path}: read-only or not accessible (${detail}); ` +
      `make the file and its directory writable, ${ELSEWHERE}`,
  },
  {
    code: "locked",
    matches: (c) => /^SQLITE_(BUSY|LOCKED)/.test(c),
    say: (path, detail) =>
      `the journal at ${path} is locked by another process (${detail}); wait for it to finish, ${ELSEWHERE}`,
  },
  {
    code: "corrupt",
    matches: (c) => /^SQLITE_(CORRUPT|NOTADB)/.test(c),
    say: (path, detail) =>
      `the journal at ${path} is damaged (${detail}); it may have been changed outside stageflow, or ` +
      `its -wal or -shm file removed while in use; restore it from a backup, ${ELSEWHERE}`,
  },
  {
    code: "full",
    matches: (c) => /^SQLITE_FULL/.test(c) || /^(ENOSPC|EDQUOT)$/.test(c),
    say: (path, detail) =>
      `no space left to write the journal at ${path} (${detail}); free some space and try again ` +
      `(a run cut short resumes with: stageflow resume --all), ${ELSEWHERE}`,
  },
  {
    code: "io",
    matches: (c) => /^SQLITE_(IOERR|PROTOCOL)/.test(c) || c === "EIO",
    say: (path, detail) =>
      `could not read or write the journal at ${path} (${detail}); check the disk and that its ` +
      `-wal and -shm files were not removed while in use, ${ELSEWHERE}`,
  },
  {
    code: "bad_path",
    matches: (c) => /^(ENOTDIR|EISDIR|ELOOP|ENAMETOOLONG)$/.test(c),
    say: (path, detail) =>
      `cannot keep a journal at ${path} (${detail}); choose another location with --db PATH`,
  },
];

/**
 * The code of an error, as better-sqlite3 names it: its `code` (`SQLITE_BUSY`,
 * `SQLITE_CONSTRAINT_PRIMARYKEY`, an errno code such as `EACCES`...), or for an error of
 * node:sqlite (`code: 'ERR_SQLITE_ERROR'` and the extended result code as a number, `errcode`)
 * the name of that result code, so that both drivers' errors mean the same.
 */
export function sqliteCodeOf(e: unknown): string | undefined {
  const { code, errcode } = (e ?? {}) as { code?: unknown; errcode?: unknown };
  if (code === "ERR_SQLITE_ERROR" && typeof errcode === "number") {
    return SQLITE_RESULT_CODES[errcode] ?? SQLITE_RESULT_CODES[errcode & 0xff] ?? `SQLITE_UNKNOWN_${errcode}`;
  }
  return typeof code === "string" ? code : undefined;
}

/**
 * Turns an error from SQLite (either driver) or the file system into a StoreError naming `path`,
 * when it is one that the user can act on (read-only location, lock held too long, damaged file,
 * full disk, I/O error, unusable path); other errors (constraints, SQL mistakes: bugs) pass through.
 */
export function storeErrorFrom(path: string, e: unknown): unknown {
  if (e instanceof StoreError) return e;
  const code = sqliteCodeOf(e);
  if (code === undefined) return e;
  const kind = KINDS.find((k) => k.matches(code));
  if (!kind) return e;
  const message = errorMessage(e);
  const detail = message.startsWith(code) ? message : `${code}: ${message}`;
  return new StoreError(kind.code, kind.say(path, detail), path, { cause: e });
}
