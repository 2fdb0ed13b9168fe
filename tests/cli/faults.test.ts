/**
 * Storage and CLI faults, one row each: what the user does, the exit code and the message they
 * must get — never a stack trace. (Bad workflow definitions have their own table:
 * bad-definitions.test.ts.) To add a fault, add a row to FAULTS.
 *
 * A row runs the CLI in-process unless its fault needs a real process: `process` (an unhandled
 * rejection, another process's files), `unprivileged` (permissions; as nobody when the tests run
 * as root), or `tinyDisk` (a real full disk: a small tmpfs in a private mount namespace).
 */
import { execFileSync } from "node:child_process";
import { chmodSync, closeSync, mkdirSync, openSync, readSync, rmSync, writeSync } from "node:fs";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSqliteJournal, MIGRATIONS, SCHEMA_VERSION } from "../../src/store/index.js";
import { event, newRun } from "../../src/testing/contract/builders.js";
import { canDropPrivileges, holdJournal, spawnCli, tinyDiskPrefix } from "./cli-process.js";
import { captureIo, stageflow, tempDir } from "./helpers.js";

const RUN_ID = "01a24555-0000-7000-8000-0000000000f1";
const BIG_RUN_ID = "01a24555-0000-7000-8000-0000000000b1";
const BIG_EVENTS = 130_000;

const OK_YML = "name: ok\nstages:\n  - id: s\n    steps:\n      - id: hello\n        run: echo hello\n";
/** A step whose 600 KB output is journaled with it: fills a small disk in the middle of the run. */
const BIG_OUTPUT_YML = `name: bigout
stages:
  - id: s
    steps:
      - id: big
        run: printf 'v=' > "$STAGEFLOW_OUTPUT"; head -c 600000 /dev/zero | tr '\\0' x >> "$STAGEFLOW_OUTPUT"
`;

type Via = "in-process" | "process" | "unprivileged" | "tinyDisk";

interface Scene {
  dir: string;
  path(name: string): string;
  write(name: string, text: string): string;
  /** A journal at `name` holding one finished run (RUN_ID) with a few events. */
  journal(name: string): Promise<string>;
  /** The shared journal with one run of BIG_EVENTS events (BIG_RUN_ID). */
  bigJournal(): Promise<string>;
}

interface Fault {
  name: string;
  /** Sets the scene up and returns `stageflow`'s arguments. */
  args(scene: Scene): string[] | Promise<string[]>;
  exit: number;
  /** A fragment of stderr (or, for exit 0, of stdout). */
  says: string | RegExp;
  /** @default "in-process" */
  via?: Via;
  /** For tinyDisk: the tmpfs size, mounted on `<dir>/disk`. */
  disk?: string;
  /** Runs after the CLI (e.g. stops a helper process). */
  after?: () => void;
}

/** Overwrites the root page of `table` (read from the schema) with garbage. */
function damageTable(path: string, table: string): void {
  const db = new Database(path);
  const { rootpage } = db.prepare("SELECT rootpage FROM sqlite_master WHERE name = ?").get(table) as {
    rootpage: number;
  };
  const pageSize = db.pragma("page_size", { simple: true }) as number;
  db.close();
  const fd = openSync(path, "r+");
  writeSync(fd, Buffer.alloc(pageSize, 0xab), 0, pageSize, (rootpage - 1) * pageSize);
  closeSync(fd);
}

function firstBytes(path: string, n: number): Buffer {
  const fd = openSync(path, "r");
  const buf = Buffer.alloc(n);
  readSync(fd, buf, 0, n, 0);
  closeSync(fd);
  return buf;
}

let held: { kill(signal?: NodeJS.Signals): boolean } | undefined;

const FAULTS: Fault[] = [
  // --db where no journal can be
  {
    name: "status --db under a regular file",
    args: (s) => ["status", "--db", `${s.write("notes.txt", "x")}/state.db`],
    exit: 3,
    says: "is a file, not a directory",
  },
  {
    name: "run --db under a regular file",
    args: (s) => ["run", s.write("ok.yml", OK_YML), "--db", `${s.write("notes.txt", "x")}/state.db`],
    exit: 3,
    says: "is a file, not a directory",
  },
  {
    name: "history --db under a regular file",
    args: (s) => ["history", RUN_ID, "--db", `${s.write("notes.txt", "x")}/sub/state.db`],
    exit: 3,
    says: "is a file, not a directory",
  },
  {
    name: "status --db /dev/null",
    args: () => ["status", "--db", "/dev/null"],
    exit: 3,
    says: "is a character device",
  },
  {
    name: "run --db /dev/null",
    args: (s) => ["run", s.write("ok.yml", OK_YML), "--db", "/dev/null"],
    exit: 3,
    says: "/dev/null: is a character device, not a regular file",
  },
  {
    name: "status --db a FIFO (never opened, so it cannot hang)",
    args: (s) => {
      execFileSync("mkfifo", [s.path("pipe.db")]);
      return ["status", "--db", s.path("pipe.db")];
    },
    exit: 3,
    says: "is a FIFO",
  },
  {
    name: "status --db a directory",
    args: (s) => {
      mkdirSync(s.path("folder.db"));
      return ["status", "--db", s.path("folder.db")];
    },
    exit: 3,
    says: "is a directory",
  },
  {
    name: "status --db a file that is not SQLite",
    args: (s) => ["status", "--db", s.write("notes.txt", "not a database\n")],
    exit: 3,
    says: "not an SQLite database (refusing to touch it)",
  },
  {
    name: "status --db a directory without permission",
    via: "unprivileged",
    args: async (s) => {
      const db = await s.journal("locked/state.db");
      chmodSync(s.path("locked"), 0o000);
      return ["status", "--db", db];
    },
    exit: 3,
    says: "read-only or not accessible (EACCES",
  },
  {
    name: "run --db in a directory without write permission",
    via: "unprivileged",
    args: (s) => {
      mkdirSync(s.path("ro"), { mode: 0o555 });
      chmodSync(s.path("ro"), 0o555);
      return ["run", s.write("ok.yml", OK_YML), "--db", s.path("ro/state.db")];
    },
    exit: 3,
    says: /cannot write the journal at \S+ro\/state\.db: read-only/,
  },
  // a damaged journal
  {
    name: "status on a corrupted journal",
    args: async (s) => {
      const db = await s.journal("state.db");
      damageTable(db, "runs");
      return ["status", "--db", db];
    },
    exit: 3,
    says: "is damaged (SQLITE_CORRUPT",
  },
  {
    name: "history on a corrupted journal",
    args: async (s) => {
      const db = await s.journal("state.db");
      damageTable(db, "events");
      return ["history", RUN_ID, "--db", db];
    },
    exit: 3,
    says: "is damaged (SQLITE_CORRUPT",
  },
  {
    name: "run on a corrupted journal",
    args: async (s) => {
      const db = await s.journal("state.db");
      damageTable(db, "runs");
      return ["run", s.write("ok.yml", OK_YML), "--db", db];
    },
    exit: 3,
    says: "is damaged (SQLITE_CORRUPT",
  },
  {
    name: "status on a journal whose header page is damaged",
    args: async (s) => {
      const db = await s.journal("state.db");
      const fd = openSync(db, "r+");
      writeSync(fd, Buffer.alloc(2000, 0xff), 0, 2000, 100);
      closeSync(fd);
      return ["status", "--db", db];
    },
    exit: 3,
    says: "is damaged",
  },
  {
    // The engine loads breaker state when created; status never waits for it, so its failure
    // must not surface later as an unhandled rejection with a stack trace.
    name: "status on a journal whose breakers table is damaged (lists the runs, no stack)",
    via: "process",
    args: async (s) => {
      const db = await s.journal("state.db");
      damageTable(db, "sqlite_autoindex_breakers_1");
      return ["status", "--db", db];
    },
    exit: 0,
    says: "deploy", // the workflow of the run listed
  },
  {
    name: "status while the -wal file of a running process was deleted",
    via: "process",
    args: async (s) => {
      const db = await s.journal("state.db");
      const holder = await holdJournal(db, "wal");
      held = holder;
      rmSync(`${db}-wal`);
      return ["status", "--db", db];
    },
    after: () => held?.kill("SIGKILL"),
    exit: 3,
    says: "-wal",
  },
  // schema versions
  {
    name: "status on a journal of a newer stageflow",
    args: async (s) => {
      const db = await s.journal("state.db");
      const raw = new Database(db);
      raw.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
      raw.close();
      return ["status", "--db", db];
    },
    exit: 3,
    says: `schema version ${SCHEMA_VERSION + 1}`,
  },
  {
    name: "status on a journal of an older stageflow (readers do not migrate)",
    args: (s) => {
      const db = s.path("old.db");
      const raw = new Database(db);
      raw.pragma("journal_mode = WAL");
      for (const m of MIGRATIONS.slice(0, -1)) raw.exec(m.sql);
      raw.pragma(`user_version = ${SCHEMA_VERSION - 1}`);
      raw.close();
      return ["status", "--db", db];
    },
    exit: 3,
    says: `schema version ${SCHEMA_VERSION - 1} and this stageflow uses`,
  },
  // no journal yet
  {
    name: "status with no journal yet",
    args: (s) => ["status", "--db", s.path("none/state.db")],
    exit: 0,
    says: "no runs",
  },
  {
    name: "history with no journal yet",
    args: (s) => ["history", RUN_ID, "--db", s.path("none/state.db")],
    exit: 2,
    says: "no database at",
  },
  // a full disk
  {
    name: "run on a full disk (the journal cannot be created)",
    via: "tinyDisk",
    disk: "64k",
    args: (s) => ["run", s.write("ok.yml", OK_YML), "--db", s.path("disk/state.db")],
    exit: 3,
    says: "no space left to write the journal",
  },
  {
    name: "run on a disk that fills up during the run",
    via: "tinyDisk",
    disk: "400k",
    args: (s) => [
      "run",
      s.write("big.yml", BIG_OUTPUT_YML),
      "--db",
      s.path("disk/state.db"),
      "--work-dir",
      s.path("work"),
    ],
    exit: 3,
    says: "no space left to write the journal",
  },
  // diagnostics --out
  {
    name: "diagnostics --out naming a directory",
    args: async (s) => ["diagnostics", RUN_ID, "--db", await s.journal("state.db"), "--out", s.dir],
    exit: 2,
    says: "is a directory; name the bundle's file",
  },
  {
    name: "diagnostics --out under a regular file",
    args: async (s) => [
      "diagnostics",
      RUN_ID,
      "--db",
      await s.journal("state.db"),
      "--out",
      `${s.write("notes.txt", "x")}/bundle.json`,
    ],
    exit: 2,
    says: "--out",
  },
  // a run with very many events (spread arguments overflow the stack)
  {
    name: "stats over ~130,000 events",
    args: async (s) => ["stats", "--db", await s.bigJournal()],
    exit: 0,
    says: "1 run",
  },
  {
    name: "status RUN with ~130,000 events",
    args: async (s) => ["status", BIG_RUN_ID, "--db", await s.bigJournal()],
    exit: 0,
    says: BIG_RUN_ID,
  },
  {
    name: "history with ~130,000 events",
    args: async (s) => ["history", BIG_RUN_ID, "--db", await s.bigJournal()],
    exit: 0,
    says: `${BIG_EVENTS} events`,
  },
];

async function writeJournal(path: string, runId: string, events: number): Promise<void> {
  const journal = createSqliteJournal({ path });
  await journal.createRun(newRun(runId, { lease: { owner: "gone/1/x", expiresAt: 0 } }), []);
  const batch = Array.from({ length: events }, (_, i) =>
    event(runId, "step.started", { stageId: "build", stepId: "compile", attempt: i + 1 }),
  );
  await journal.appendEvents(batch);
  await journal.close();
}

describe("storage and CLI faults: exit code and message, never a stack trace", () => {
  const shared = tempDir("stageflow-faults-shared-");
  let big: Promise<string> | undefined;
  let unprivileged = false;
  beforeAll(async () => {
    unprivileged = await canDropPrivileges();
  });
  beforeAll(() => {
    big = writeJournal(shared.path("big.db"), BIG_RUN_ID, BIG_EVENTS).then(() => shared.path("big.db"));
  });
  afterAll(() => shared.cleanup());

  it.each(FAULTS.map((f) => [f.name, f] as const))("%s", async (_name, fault) => {
    const via = fault.via ?? "in-process";
    if (via === "unprivileged" && !unprivileged) return void console.warn(`skipped: cannot setuid as root`);
    const tmp = tempDir("stageflow-faults-");
    chmodSync(tmp.dir, 0o755); // nobody must be able to enter it (mkdtemp makes it 0700)
    const scene: Scene = {
      ...tmp,
      journal: async (name) => {
        const path = tmp.path(name);
        await writeJournal(path, RUN_ID, 3);
        return path;
      },
      bigJournal: () => big ?? Promise.reject(new Error("beforeAll did not start the big journal")),
    };
    try {
      let prefix: string[] | undefined;
      if (via === "tinyDisk") {
        mkdirSync(tmp.path("disk"));
        prefix = await tinyDiskPrefix(tmp.path("disk"), fault.disk ?? "64k");
        if (!prefix) return void console.warn("skipped: no way to mount a small tmpfs here");
      }
      const args = await fault.args(scene);
      const result =
        via === "in-process"
          ? await stageflow(captureIo(tmp.dir), ...args)
          : await spawnCli(tmp.dir, args, { entry: via === "unprivileged" ? "unprivileged" : "cli", prefix });
      const shown = { args, ...result };
      expect(result.err, JSON.stringify(shown)).not.toMatch(/^\s+at /m);
      expect(result.err).not.toMatch(/SqliteError|RangeError|TypeError/);
      expect(result.code, JSON.stringify(shown)).toBe(fault.exit);
      const text = fault.exit === 0 ? result.out : result.err;
      if (typeof fault.says === "string") expect(text, JSON.stringify(shown)).toContain(fault.says);
      else expect(text, JSON.stringify(shown)).toMatch(fault.says);
      if (fault.exit === 0) expect(result.err).toBe("");
    } finally {
      fault.after?.();
      tmp.cleanup();
    }
  });
});

// Keeps the helpers honest: a damaged table is really damaged (SQLite says so).
describe("damageTable", () => {
  it("leaves the header and damages the named table", async () => {
    const tmp = tempDir();
    try {
      const db = tmp.path("state.db");
      await writeJournal(db, RUN_ID, 1);
      damageTable(db, "runs");
      expect(firstBytes(db, 15).toString("latin1")).toBe("SQLite format 3");
      const raw = new Database(db, { readonly: true });
      expect(() => raw.prepare("SELECT * FROM runs").all()).toThrow(/malformed/);
      raw.close();
    } finally {
      tmp.cleanup();
    }
  });
});
