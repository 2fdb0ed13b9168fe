import { type ChildProcess, execFile, spawn } from "node:child_process";
import { childEntry } from "../support/child-code.js";

/** Each run transpiled, as an installed package runs its dist/ (tests/support/child-code.ts). */
export const ENTRIES = {
  /** src/cli/bin.ts, as users run it. */
  cli: childEntry("src/cli/bin.ts"),
  /** The same CLI, as the unprivileged user nobody when started as root. */
  unprivileged: childEntry("tests/fixtures/processes/cli-unprivileged.ts"),
  holder: childEntry("tests/fixtures/processes/hold-journal.ts"),
} as const;

export interface CliResult {
  code: number;
  out: string;
  err: string;
}

export interface SpawnOptions {
  /** @default "cli" */
  entry?: keyof typeof ENTRIES;
  /** A command line that runs the rest, e.g. `unshare --mount ...` (see tinyDiskPrefix). */
  prefix?: readonly string[];
}

/** The real CLI in a child process (not a terminal): exit code, stdout, stderr. */
export function spawnCli(cwd: string, args: readonly string[], opts: SpawnOptions = {}): Promise<CliResult> {
  const argv = [...(opts.prefix ?? []), process.execPath, ENTRIES[opts.entry ?? "cli"], ...args];
  const [file = "", ...rest] = argv;
  return new Promise((resolve) => {
    execFile(
      file,
      rest,
      { cwd, env: { PATH: process.env.PATH ?? "", HOME: cwd }, timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error ? (error as { code?: unknown }).code : 0;
        resolve({ code: typeof code === "number" ? code : -1, out: stdout, err: stderr });
      },
    );
  });
}

/** Starts `hold-journal.ts <db> <mode>` and resolves once it holds (see there); kill() it after. */
export function holdJournal(db: string, mode: "lock" | "wal"): Promise<ChildProcess> {
  const child = spawn(process.execPath, [ENTRIES.holder, db, mode], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  return new Promise((resolve, reject) => {
    let err = "";
    child.stderr?.on("data", (chunk: Buffer) => (err += chunk.toString()));
    child.stdout?.on("data", (chunk: Buffer) => {
      if (chunk.toString().includes("HELD")) resolve(child);
    });
    child.on("exit", (code) => reject(new Error(`hold-journal exited ${code}: ${err}`)));
  });
}

/** Runs `argv` and says whether it exited 0. */
function succeeds(argv: readonly string[]): Promise<boolean> {
  const [file = "", ...rest] = argv;
  return new Promise((resolve) => execFile(file, rest, { timeout: 30_000 }, (error) => resolve(!error)));
}

/**
 * A command prefix that runs the rest with a tmpfs of `size` (e.g. "64k") mounted on `dir`, in a
 * private mount namespace (nothing outside the process sees it): a real full disk. Needs
 * `unshare` and either root or unprivileged user namespaces; undefined when neither works.
 */
export async function tinyDiskPrefix(dir: string, size: string): Promise<string[] | undefined> {
  const asRoot = process.getuid?.() === 0;
  const prefix = [
    "unshare",
    ...(asRoot ? [] : ["--user", "--map-root-user"]),
    "--mount",
    "sh",
    "-c",
    'mount -t tmpfs -o "size=$1" tmpfs "$2" && shift 2 && exec "$@"',
    "sh",
    size,
    dir,
  ];
  return (await succeeds([...prefix, "true"])) ? prefix : undefined;
}

/** Whether this process can run a child as nobody (unprivileged.ts): not root, or root that may setuid. */
export async function canDropPrivileges(): Promise<boolean> {
  if (process.getuid?.() !== 0) return true;
  return succeeds([process.execPath, "-e", "process.setgid(65534); process.setuid(65534)"]);
}
