import { duplicate, sqliteCodeOf as codeOf, unknownRun } from "../errors.js";

/** A write named a parent row (a run) that does not exist. */
export const isForeignKeyError = (e: unknown): boolean => codeOf(e) === "SQLITE_CONSTRAINT_FOREIGNKEY";

/** The message of the schema's triggers that refuse an attempt recorded twice (see checkpoints.ts). */
export const DUPLICATE_ATTEMPT = "duplicate attempt";

/** A write tried to insert a row whose key is already taken (or an attempt already recorded). */
export const isPrimaryKeyError = (e: unknown): boolean =>
  codeOf(e) === "SQLITE_CONSTRAINT_PRIMARYKEY" ||
  (codeOf(e) === "SQLITE_CONSTRAINT_TRIGGER" && (e as Error).message === DUPLICATE_ATTEMPT);

/**
 * Runs `insert`, turning constraint failures into StoreErrors: `unknown_run` naming `runId`, or
 * `duplicate` naming `what` (a string, or a function that makes it only when needed). Other
 * errors pass through.
 */
export function inserting<T>(runId: string, what: string | (() => string), insert: () => T): T {
  try {
    return insert();
  } catch (e) {
    if (isForeignKeyError(e)) throw unknownRun(runId);
    if (isPrimaryKeyError(e)) throw duplicate(typeof what === "string" ? what : what());
    throw e;
  }
}
