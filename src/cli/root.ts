import {
  builtinSteps,
  createEngine,
  type Engine,
  InputError,
  type Journal,
  type Logger,
  type StepHandler,
  systemClock,
} from "../index.js";
import { createSqliteJournal, inspectJournalFile } from "../sqlite.js";
import type { LoadedConfig } from "./config.js";
import type { CliIo } from "./io.js";
import { createLogger } from "./logger.js";
import { isOwnerAlive, ownerId } from "./owner.js";
import { workRoot } from "./work-dirs.js";

/** Everything a command needs, built in one place from the configuration. */
export interface CliRoot {
  config: LoadedConfig;
  journal: Journal;
  engine: Engine;
  logger: Logger;
  /** This process's lease-owner id. */
  owner: string;
  /** Stops the engine's lease renewal and closes the journal. */
  close(): Promise<void>;
}

/** The database a read-only command was pointed at does not exist. */
export class NoDatabaseError extends InputError {
  constructor(readonly path: string) {
    super("invalid_input", `no database at ${path} (nothing has run with this --db yet)`);
  }
}

/**
 * The step kinds the CLI registers: all the built-in ones, `run` included: the CLI is a shell
 * tool, so commands run in this process's directory with this process's environment (the step's
 * `env:` on top). Parsing needs the kinds before any journal.
 */
export function stepKinds(): ReadonlyMap<string, StepHandler> {
  return new Map(Object.entries(builtinSteps({ run: { cwd: process.cwd(), env: process.env } })));
}

/** The logger for this configuration: masked lines on stderr. */
export function rootLogger(config: LoadedConfig, io: CliIo): Logger {
  return createLogger(io.stderr, config.values.logLevel);
}

export interface OpenRootOptions {
  /** Fail with NoDatabaseError instead of creating a new database. */
  mustExist?: boolean;
  /**
   * For commands that only read (status, history, diagnostics, stats): the journal is opened
   * read-only, so they never wait for a running engine and never create or migrate it.
   * Implies `mustExist`.
   */
  readOnly?: boolean;
}

/**
 * The composition root: opens the journal, creates the engine with the system clock, this
 * process's owner id and liveness probe, registers the built-in steps and wires the logger.
 * A path that cannot hold a journal (a parent is a file, a device, ...) is a StoreError (exit 3).
 */
export async function openRoot(
  config: LoadedConfig,
  io: CliIo,
  opts: OpenRootOptions = {},
): Promise<CliRoot> {
  const { db, durability, leaseMs } = config.values;
  const readOnly = opts.readOnly ?? false;
  if ((opts.mustExist || readOnly) && inspectJournalFile(db) !== "sqlite") throw new NoDatabaseError(db);
  const logger = rootLogger(config, io);
  const journal = createSqliteJournal({ path: db, durability, readOnly });
  const owner = ownerId();
  const engine = createEngine({
    journal,
    clock: systemClock,
    logger,
    owner,
    leaseMs,
    isOwnerAlive: (other) => isOwnerAlive(other),
    workDir: workRoot(config),
    env: io.env,
    // The CLI process waits for timers in memory: once it exits, nothing would wake a parked run.
    parkAfterMs: Number.POSITIVE_INFINITY,
  });
  for (const [kind, handler] of stepKinds()) engine.register(kind, handler);
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await engine.close();
    await journal.close();
  };
  return { config, journal, engine, logger, owner, close };
}
