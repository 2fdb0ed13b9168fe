/**
 * A watchdog for one process group: a tiny `sh` outside the group whose stdin is a pipe from this
 * process. Node has no prctl(PR_SET_PDEATHSIG), but when this process dies — even by SIGKILL —
 * the OS closes its end of the pipe: the watchdog reads EOF and stops the group (SIGTERM, then
 * SIGKILL after the grace period). When the group ends normally, `release()` tells it so and it
 * exits without touching anything.
 */
import { spawn } from "node:child_process";

/** $1: the group id; $2: grace period in tenths of a second. `kill -SIG -PGID` works in dash and bash. */
const SCRIPT = `IFS= read -r line && exit 0
kill -TERM -"$1" 2>/dev/null || exit 0
i=0
while [ "$i" -lt "$2" ] && kill -0 -"$1" 2>/dev/null; do sleep 0.1; i=$((i + 1)); done
kill -KILL -"$1" 2>/dev/null
exit 0`;

export interface Watchdog {
  /** The watchdog's own pid (for tests). */
  readonly pid: number | undefined;
  /** The group ended (or was stopped) by this process: the watchdog exits and does nothing. */
  release(): void;
}

/** `path`: where to find `sleep` (the step's PATH); /bin and /usr/bin are always searched. */
export function watchGroup(pgid: number, graceMs: number, path = ""): Watchdog {
  const tenths = String(Math.max(1, Math.ceil(graceMs / 100)));
  const child = spawn("/bin/sh", ["-c", SCRIPT, "stageflow-watchdog", String(pgid), tenths], {
    // Its own session: outside the group it watches, and out of reach of a terminal's Ctrl-C.
    detached: true,
    stdio: ["pipe", "ignore", "ignore"],
    env: { PATH: [path, "/bin", "/usr/bin"].filter(Boolean).join(":") },
  });
  child.on("error", () => {}); // cannot start: the group runs unwatched, as before
  child.stdin.on("error", () => {}); // EPIPE: it is gone already
  child.unref();
  let released = false;
  return {
    pid: child.pid,
    release() {
      if (released) return;
      released = true;
      child.stdin.end("done\n");
    },
  };
}
