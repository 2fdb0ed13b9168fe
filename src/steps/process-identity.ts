/**
 * Who a process is, beyond its pid (which the OS reuses): its start time, read from the OS.
 * - Linux: field 22 of /proc/PID/stat (clock ticks since boot), with the boot id
 *   (/proc/sys/kernel/random/boot_id, or the boot time of /proc/stat) so that a reboot changes it.
 * - macOS: `ps -o lstart= -p PID` (the start time to the second, read in UTC).
 * Elsewhere the start is unknown (`undefined`), and nothing is ever killed by its pid alone.
 */
import { execFile } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";

let bootKey: string | undefined;

function linuxBootKey(): string {
  if (bootKey !== undefined) return bootKey;
  try {
    bootKey = readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();
  } catch {
    const btime = /^btime (\d+)$/m.exec(readFileSync("/proc/stat", "utf8"))?.[1];
    bootKey = `btime-${btime ?? "unknown"}`;
  }
  return bootKey;
}

/** The fields of /proc/PID/stat after the command name: [state, ppid, pgrp, ...]. */
function linuxStat(pid: number | string): string[] | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  // The command name (field 2) is in parentheses and may itself hold spaces and parentheses.
  return text.slice(text.lastIndexOf(")") + 2).split(" ");
}

function darwinStart(pid: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(
      "/bin/ps",
      ["-o", "lstart=", "-p", String(pid)],
      { env: { PATH: "/bin:/usr/bin", LC_ALL: "C", TZ: "UTC" }, timeout: 5000 },
      (error, stdout) => {
        const start = stdout.trim().replace(/\s+/g, " ");
        resolve(error || start === "" ? undefined : `darwin:${start}`);
      },
    );
  });
}

/** The start of process `pid` as an opaque token, or undefined when it does not exist (or the OS cannot tell). */
export async function processStart(pid: number): Promise<string | undefined> {
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  if (process.platform === "linux") {
    const ticks = linuxStat(pid)?.[19];
    return ticks === undefined ? undefined : `linux:${linuxBootKey()}:${ticks}`;
  }
  if (process.platform === "darwin") return darwinStart(pid);
  return undefined;
}

/**
 * Whether process group `pgid` still has a member that is not a zombie. A zombie is dead: it
 * waits for its parent (or, orphaned, for pid 1, which in some containers never reaps it).
 */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch (e) {
    return (e as { code?: unknown }).code === "EPERM";
  }
  if (process.platform !== "linux") return true;
  let pids: string[];
  try {
    pids = readdirSync("/proc").filter((name) => /^\d+$/.test(name));
  } catch {
    return true;
  }
  return pids.some((pid) => {
    const stat = linuxStat(pid);
    return stat !== undefined && stat[2] === String(pgid) && stat[0] !== "Z";
  });
}
