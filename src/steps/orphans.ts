/**
 * The `run` kind's process record — the group a step's command runs in, and who its leader is —
 * and what a resume or a cancel of the run does with it: stop the group when it is provably the
 * one recorded.
 */
import { hostname } from "node:os";
import type { Logger } from "../engine/ports.js";
import { stopGroup } from "./process-group.js";
import { groupAlive, processStart } from "./process-identity.js";

/** What `ctx.recordProcess` journals for a `run` step (plain JSON). */
export interface GroupRecord {
  /** The process group id: the pid of its leader. */
  pgid: number;
  /** The leader's start (see process-identity.ts); null where the OS cannot tell. */
  start: string | null;
  host: string;
  platform: string;
}

export async function describeGroup(pgid: number): Promise<GroupRecord> {
  return { pgid, start: (await processStart(pgid)) ?? null, host: hostname(), platform: process.platform };
}

function isGroupRecord(value: unknown): value is GroupRecord {
  const r = value as GroupRecord | null;
  return (
    typeof r === "object" &&
    r !== null &&
    Number.isInteger(r.pgid) &&
    r.pgid > 1 &&
    (r.start === null || typeof r.start === "string") &&
    typeof r.host === "string"
  );
}

export interface StopOrphanOptions {
  graceMs: number;
  /** @default os.hostname() */
  host?: string;
}

/**
 * Stops the recorded group if its leader still runs and started when the record says (the same
 * process, not a reused pid): SIGTERM, then SIGKILL after the grace period. Anything it cannot
 * prove is the recorded group is left alone, with a warning. Throws when the group survives.
 */
export async function stopOrphanGroup(
  record: unknown,
  logger: Logger,
  opts: StopOrphanOptions,
): Promise<"stopped" | "gone" | "not_ours" | "unknown"> {
  if (!isGroupRecord(record)) {
    logger.warn("run: unreadable process record; nothing stopped", { record });
    return "unknown";
  }
  const { pgid, start } = record;
  if (record.host !== (opts.host ?? hostname())) {
    logger.warn(`run: process group ${pgid} was started on ${record.host}; it cannot be stopped from here`);
    return "unknown";
  }
  if (start === null) {
    logger.warn(`run: the start of process group ${pgid} was not recorded; it is not stopped by pid alone`);
    return "unknown";
  }
  const now = await processStart(pgid);
  if (now === undefined) {
    if (!groupAlive(pgid)) return "gone";
    logger.warn(
      `run: the leader of process group ${pgid} is gone but members remain; they cannot be told ` +
        "apart from a reused group id and are left running",
    );
    return "unknown";
  }
  if (now !== start) return "not_ours";
  await stopGroup(pgid, opts.graceMs);
  if (groupAlive(pgid)) throw new Error(`run: process group ${pgid} left by a dead owner survived SIGKILL`);
  logger.warn(`run: stopped process group ${pgid}, left running by a dead owner`);
  return "stopped";
}
