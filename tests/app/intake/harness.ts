import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { createIntakeServer, type IntakeServerOptions } from "../../../src/app/intake/server.js";
import { createSqliteAppStore } from "../../../src/app/state/sqlite.js";
import type { AppStore } from "../../../src/app/state/types.js";
import type { Logger } from "../../../src/engine/ports.js";
import { SECRET } from "./support.js";

export interface LogLine {
  level: string;
  msg: string;
  fields?: Record<string, unknown>;
}

/** A Logger that keeps its lines. */
export function memoryLog(): Logger & { lines: LogLine[] } {
  const lines: LogLine[] = [];
  const at = (level: string) => (msg: string, fields?: Record<string, unknown>) =>
    void lines.push({ level, msg, fields });
  return { lines, debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

export interface Harness {
  dir: string;
  dbPath: string;
  store: AppStore;
  port: number;
  log: ReturnType<typeof memoryLog>;
  recordedCalls: () => number;
  /** Rows of the inbox, read through a connection of its own (as another process would). */
  inbox(): { id: string; name: string; status: string }[];
  close(): Promise<void>;
}

/** A real intake server on 127.0.0.1 (port 0) with a real SQLite inbox in a temporary directory. */
export async function startIntake(extra: Partial<IntakeServerOptions> = {}): Promise<Harness> {
  const dir = await mkdtemp(join(tmpdir(), "stageflow-intake-"));
  const dbPath = join(dir, "app.db");
  const store = createSqliteAppStore({ path: dbPath });
  const log = memoryLog();
  let calls = 0;
  const server = createIntakeServer({
    secret: SECRET,
    store,
    log,
    onRecorded: () => void calls++,
    ...extra,
  });
  const { port } = await server.listen(0, "127.0.0.1");
  return {
    dir,
    dbPath,
    store,
    port,
    log,
    recordedCalls: () => calls,
    inbox() {
      const db = new Database(dbPath, { readonly: true });
      try {
        return db.prepare("SELECT id, name, status FROM app_inbox ORDER BY rowid").all() as {
          id: string;
          name: string;
          status: string;
        }[];
      } finally {
        db.close();
      }
    },
    async close() {
      await server.close();
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
