import { randomBytes } from "node:crypto";
import { hostname } from "node:os";

/** This process's lease-owner id: `host/pid/random`. */
export function appOwnerId(host = hostname(), pid = process.pid): string {
  return `${host}/${pid}/${randomBytes(6).toString("base64url").slice(0, 6)}`;
}

/** Whether the process behind a `host/pid/...` owner id lives: undefined for another host. */
export function isAppOwnerAlive(owner: string, host = hostname()): boolean | undefined {
  const [ownerHost, pidText] = owner.split("/");
  if (ownerHost !== host || !pidText || !/^\d+$/.test(pidText)) return undefined;
  try {
    process.kill(Number(pidText), 0);
    return true;
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (code === "ESRCH") return false;
    return code === "EPERM" ? true : undefined;
  }
}
