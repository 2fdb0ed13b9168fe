import { isInputError, isRefused, isStageflowError, type RunStatus } from "../index.js";
import { isStoreError } from "../sqlite.js";

/** The `stageflow` command's exit codes (documented in docs/cli.md). */
export const EXIT = {
  /** The run succeeded (or degraded), or there was nothing to do. */
  ok: 0,
  /** The run failed, was cancelled or is blocked; or an unexpected error. */
  failed: 1,
  /** Usage or invalid input: bad flags, workflow file, input, configuration, unknown run id. */
  usage: 2,
  /** The journal cannot be used: not SQLite, read-only, newer schema, ... */
  storage: 3,
  /** The run waits for a person (escalated). */
  waiting: 4,
  /** Interrupted by SIGINT; the run stays resumable. */
  interrupted: 130,
  /** Stopped by SIGTERM; the run stays resumable (128 + 15, as a shell reports it). */
  terminated: 143,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** The exit code for a run that stopped in this process with `status`. */
export function exitCodeForStatus(status: RunStatus): ExitCode {
  switch (status) {
    case "succeeded":
    case "degraded":
      return EXIT.ok;
    case "waiting":
      return EXIT.waiting;
    default:
      return EXIT.failed;
  }
}

/** Several runs (resume --all): the most serious code wins: 143, 130, 3, 2, 1, 4, then 0. */
export function combineExitCodes(codes: readonly ExitCode[]): ExitCode {
  const rank: readonly ExitCode[] = [
    EXIT.terminated,
    EXIT.interrupted,
    EXIT.storage,
    EXIT.usage,
    EXIT.failed,
    EXIT.waiting,
  ];
  return rank.find((code) => codes.includes(code)) ?? EXIT.ok;
}

/**
 * A journal that cannot be used (not SQLite, read-only, newer schema, locked, ...): from the store,
 * or as the engine refuses a call for it (`storage_unavailable`, `storage_corrupt`).
 */
export function isStorageError(e: unknown): boolean {
  return (
    (isStoreError(e) && e.code !== "unknown_run") || isRefused(e, "storage_unavailable", "storage_corrupt")
  );
}

/** The exit code for an error that ended a command. */
export function exitCodeForError(e: unknown): ExitCode {
  if (isStorageError(e)) return EXIT.storage;
  if (isInputError(e)) return EXIT.usage;
  if (isStageflowError(e) && (e.reason === "invalid_input" || e.reason === "definition_invalid")) {
    return EXIT.usage;
  }
  return EXIT.failed;
}
