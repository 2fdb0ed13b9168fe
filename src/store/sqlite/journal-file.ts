import {
  accessSync,
  closeSync,
  constants,
  mkdirSync,
  openSync,
  readSync,
  type Stats,
  statSync,
} from "node:fs";
import { dirname, resolve } from "node:path";
import { StoreError, storeErrorFrom } from "../errors.js";

/** What is at a journal's path: nothing, an empty file (a new journal), or an SQLite database. */
export type JournalFileState = "missing" | "empty" | "sqlite";

const SQLITE_MAGIC = Buffer.from("SQLite format 3\0", "latin1");

/** Mode of a journal file; SQLite gives its -wal and -shm files the same. */
export const JOURNAL_FILE_MODE = 0o600;
/** Mode of a directory created to hold a journal. */
export const JOURNAL_DIR_MODE = 0o700;

/**
 * Looks at `path` without changing anything. Throws StoreError `bad_path` (a parent is not a
 * directory, or the path names a directory, a device, a FIFO or a socket: never opened, so a
 * FIFO cannot hang us) or `not_sqlite` (a non-empty file that is not SQLite).
 */
export function inspectJournalFile(path: string): JournalFileState {
  try {
    const stat = statOf(path);
    if (!stat) return "missing";
    if (stat.isDirectory()) throw badPath(path, "is a directory, not an SQLite database");
    if (!stat.isFile()) throw badPath(path, `is ${fileKind(stat)}, not a regular file`);
    const header = readHeader(path);
    if (header.length === 0) return "empty";
    if (!header.equals(SQLITE_MAGIC)) {
      throw new StoreError("not_sqlite", `${path}: not an SQLite database (refusing to touch it)`, path);
    }
    return "sqlite";
  } catch (e) {
    throw storeErrorFrom(path, e);
  }
}

/**
 * Makes `path` ready for a writable open: creates its directory (0700) and the file itself (0600,
 * so that the journal and its -wal and -shm files are readable by the owner only) when missing,
 * and checks an existing file can be written. Throws StoreError naming the path.
 */
export function prepareJournalFile(path: string): void {
  const state = inspectJournalFile(path);
  try {
    if (state !== "missing") {
      accessSync(path, constants.W_OK);
      return;
    }
    makeParent(path);
    closeSync(openSync(path, "wx", JOURNAL_FILE_MODE));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "EEXIST") return; // created meanwhile: fine
    throw storeErrorFrom(path, e);
  }
}

/** The file's stat, or undefined when it does not exist. */
function statOf(path: string): Stats | undefined {
  try {
    return statSync(path, { throwIfNoEntry: false });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOTDIR") throw e;
    throw badPath(path, `a part of the directory ${dirname(resolve(path))} is a file, not a directory`);
  }
}

function makeParent(path: string): void {
  const dir = dirname(resolve(path));
  try {
    mkdirSync(dir, { recursive: true, mode: JOURNAL_DIR_MODE });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "EEXIST" || code === "ENOTDIR") {
      throw badPath(path, `a part of the directory ${dir} is a file, not a directory`);
    }
    throw e;
  }
}

const badPath = (path: string, what: string) =>
  new StoreError("bad_path", `${path}: ${what}; choose another location with --db PATH`, path);

function fileKind(stat: Stats): string {
  if (stat.isCharacterDevice()) return "a character device";
  if (stat.isBlockDevice()) return "a block device";
  if (stat.isFIFO()) return "a FIFO";
  if (stat.isSocket()) return "a socket";
  return "not a regular file";
}

/** Up to the first 16 bytes of the file. */
function readHeader(path: string): Buffer {
  const fd = openSync(path, "r");
  try {
    const buf = Buffer.alloc(16);
    return buf.subarray(0, readSync(fd, buf, 0, 16, 0));
  } finally {
    closeSync(fd);
  }
}
