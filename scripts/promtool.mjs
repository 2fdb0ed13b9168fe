#!/usr/bin/env node
// Provides `promtool` (Prometheus's rule and config checker) for the tests of deploy/: $PROMTOOL
// when set, else `promtool` on the PATH, else the one extracted into .cache/prometheus from the
// Debian package `prometheus` (`apt-get download` + `dpkg-deb`: only the promtool binary, no
// dependencies, no daemon, nothing installed system-wide; about 5 s, `apt-get update` first when
// the package lists do not know the package). Prints the path of the binary. Without apt-get and
// dpkg-deb (not Debian/Ubuntu) it exits 1 with a message saying what to install.
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync } from "node:fs";
import { delimiter, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const PROMTOOL_PACKAGE = "prometheus";
const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const prefix = join(root, ".cache", "prometheus");
export const cachedPromtoolPath = join(prefix, "promtool");

function works(path) {
  return spawnSync(path, ["--version"], { stdio: "ignore" }).status === 0;
}

function onPath(name) {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

function aptDownload(dir) {
  const asRoot = typeof process.getuid === "function" && process.getuid() === 0;
  // As root, apt hands the download to the unprivileged `_apt` user, who cannot write here.
  const sandbox = asRoot ? ["-o", "APT::Sandbox::User=root"] : [];
  return spawnSync("apt-get", [...sandbox, "-q", "download", PROMTOOL_PACKAGE], {
    cwd: dir,
    encoding: "utf8",
    stdio: ["ignore", "ignore", "pipe"],
  });
}

/** The path of a working promtool, extracting it from the Debian package into .cache/prometheus when missing. */
export function ensurePromtool() {
  const explicit = process.env.PROMTOOL;
  if (explicit) {
    if (!works(explicit))
      throw new Error(`PROMTOOL=${explicit} does not run (\`${explicit} --version\` failed)`);
    return explicit;
  }
  const found = onPath("promtool");
  if (found && works(found)) return found;
  if (existsSync(cachedPromtoolPath) && works(cachedPromtoolPath)) return cachedPromtoolPath;
  if (process.platform !== "linux" || !onPath("apt-get") || !onPath("dpkg-deb")) {
    throw new Error(
      "promtool not found: install Prometheus's promtool (Debian/Ubuntu: `apt-get install prometheus`) or set PROMTOOL to its path",
    );
  }
  const work = join(prefix, "download");
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  try {
    let got = aptDownload(work);
    if (got.status !== 0) {
      // A fresh container's package lists may be empty or stale: refresh them once.
      execFileSync("apt-get", ["-q", "update"], { stdio: ["ignore", "ignore", "inherit"] });
      got = aptDownload(work);
    }
    const deb = readdirSync(work).find((f) => f.endsWith(".deb"));
    if (got.status !== 0 || !deb) {
      throw new Error(
        `apt-get download ${PROMTOOL_PACKAGE} failed: ${got.stderr?.trim() || `exit ${got.status}`}`,
      );
    }
    // Only the binary out of the package's data archive.
    execFileSync(
      "sh",
      ["-c", 'dpkg-deb --fsys-tarfile "$1" | tar -x -C "$2" ./usr/bin/promtool', "sh", deb, work],
      {
        cwd: work,
        stdio: ["ignore", "ignore", "inherit"],
      },
    );
    const extracted = join(work, "usr", "bin", "promtool");
    chmodSync(extracted, 0o755);
    renameSync(extracted, cachedPromtoolPath);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  if (!works(cachedPromtoolPath)) throw new Error(`${cachedPromtoolPath} was extracted but does not run`);
  return cachedPromtoolPath;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    process.stdout.write(`${ensurePromtool()}\n`);
  } catch (e) {
    process.stderr.write(`promtool: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  }
}
