import { randomBytes } from "node:crypto";
import { hostname } from "node:os";

/** This process's lease-owner id: `host/pid/random`. */
export function ownerId(host = hostname(), pid = process.pid): string {
  return `${host}/${pid}/${randomBytes(6).toString("base64url").slice(0, 6)}`;
}

/**
 * Whether the process behind a lease owner id still lives: `true`/`false` on this host
 * (signal 0 probes the pid), `undefined` for another host or an id of another shape.
 */
export function isOwnerAlive(
  owner: string,
  host = hostname(),
  probe: (pid: number) => void = (pid) => process.kill(pid, 0),
): boolean | undefined {
  const [ownerHost, pidText] = owner.split("/");
  if (ownerHost !== host || !pidText || !/^\d+$/.test(pidText)) return undefined;
  try {
    probe(Number(pidText));
    return true;
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (code === "ESRCH") return false;
    return code === "EPERM" ? true : undefined;
  }
}
