/**
 * The watchdog of this process's step groups: one tiny `sh`, outside every group, whose stdin is
 * a pipe from this process. Node has no prctl(PR_SET_PDEATHSIG), but when this process dies —
 * even by SIGKILL — the OS closes its end of the pipe: the watchdog reads EOF and stops every
 * group still registered (SIGTERM, then SIGKILL after the longest grace period among them).
 * Groups are registered (`+PGID GRACE_TENTHS`) before their command starts and removed
 * (`-PGID`) once this process has stopped them itself. One watchdog serves every step, so a step
 * costs one line each way, not a process; it is started on first use, and again if it died.
 */
import { type ChildProcessByStdio, spawn } from "node:child_process";
import type { Writable } from "node:stream";

/** Only shell builtins in the loop (no fork per line); `kill -SIG -PGID` works in dash and bash. */
const SCRIPT = `groups=" "; tenths=1
while IFS= read -r line; do
  case $line in
    +*) set -- \${line#+}; groups="$groups$1 "; [ "$2" -gt "$tenths" ] && tenths=$2 ;;
    -*) new=" "; for g in $groups; do [ "$g" = "\${line#-}" ] || new="$new$g "; done; groups=$new ;;
  esac
done
[ -z "\${groups# }" ] && exit 0
for g in $groups; do kill -TERM -"$g" 2>/dev/null; done
i=0
while [ "$i" -lt "$tenths" ]; do
  alive=""
  for g in $groups; do kill -0 -"$g" 2>/dev/null && alive="$alive $g"; done
  [ -z "$alive" ] && exit 0
  sleep 0.1; i=$((i + 1))
done
for g in $groups; do kill -KILL -"$g" 2>/dev/null; done
exit 0`;

type WatchdogProcess = ChildProcessByStdio<Writable, null, null>;

let current: WatchdogProcess | undefined;

function watchdog(path: string): WatchdogProcess | undefined {
  if (current && current.exitCode === null && current.signalCode === null) return current;
  const child = spawn("/bin/sh", ["-c", SCRIPT, "stageflow-watchdog"], {
    // Its own session: outside the groups it watches, and out of reach of a terminal's Ctrl-C.
    detached: true,
    stdio: ["pipe", "ignore", "ignore"],
    env: { PATH: [path, "/bin", "/usr/bin"].filter(Boolean).join(":") },
  });
  child.on("error", () => {}); // cannot start: groups run unwatched, as before
  child.stdin.on("error", () => {}); // EPIPE: it died; the next registration starts another
  child.once("exit", () => {
    if (current === child) current = undefined;
  });
  // Neither keeps this process alive: when it ends, the pipe's EOF is the message.
  child.unref();
  (child.stdin as unknown as { unref?: () => void }).unref?.();
  current = child;
  return child;
}

export interface Watch {
  /** This process stopped the group (or it ended): the watchdog forgets it. */
  release(): void;
}

/** The pid of the watchdog, if one runs (for tests). */
export function watchdogPid(): number | undefined {
  return current?.pid;
}

/**
 * Registers group `pgid` with the watchdog. `path` is where to find `sleep` (the step's PATH);
 * /bin and /usr/bin are always searched.
 */
export function watchGroup(pgid: number, graceMs: number, path = ""): Watch {
  const tenths = Math.max(1, Math.ceil(graceMs / 100));
  const child = watchdog(path);
  child?.stdin.write(`+${pgid} ${tenths}\n`);
  let released = false;
  return {
    release() {
      if (released) return;
      released = true;
      if (child && child === current) child.stdin.write(`-${pgid}\n`);
    },
  };
}
