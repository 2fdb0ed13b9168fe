/**
 * The short check to run before a session stops (`npm run check`): what breaks the architecture's
 * rules and import cycles in the engine (see engine-rule.ts), and other reminders. Exit 1 when a
 * rule is broken or a cycle exists; reminders
 * alone exit 0.
 */
import { execFileSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { CLI_ENTRY_POINTS, cliViolations, engineCycles, engineViolations, root } from "./engine-rule.js";

function git(...args: string[]): string {
  try {
    return execFileSync("git", args, { cwd: root, encoding: "utf8" });
  } catch {
    return "";
  }
}

function reminders(): string[] {
  const out: string[] = [];
  const status = git("status", "--porcelain");
  if (status.trim()) out.push(`uncommitted changes:\n${status.trimEnd()}`);
  const bin = git("ls-files", "-s", "bin/stageflow.js");
  if (bin && !bin.startsWith("100755")) out.push("bin/stageflow.js is committed without its run bit");
  for (const name of readdirSync(root)) {
    const path = join(root, name);
    if (statSync(path).isFile() && statSync(path).size === 0) out.push(`empty file at the root: ${name}`);
  }
  out.push("leave a note on the issue: what you built, what you measured, what you left alone");
  out.push("benchmark figures changed? run `npm run bench` and update bench/README.md");
  return out;
}

// Cut off by a pager or `head`: stop quietly.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
  throw error;
});

/** Prints a rule's problems under `broken`, or `ok` when there are none; returns their count. */
function report(problems: readonly string[], broken: string, ok: string): number {
  if (problems.length === 0) {
    console.log(`${ok}: ok`);
    return 0;
  }
  console.log(broken);
  for (const p of problems) console.log(`  ${p}`);
  return problems.length;
}

const broken =
  report(
    engineViolations(),
    "The engine's rule is broken:",
    "src/engine imports nothing from outside the engine",
  ) +
  report(
    cliViolations(),
    "The CLI reaches around the package's entry points:",
    `src/cli uses the rest of src/ through ${CLI_ENTRY_POINTS.map((p) => p.replace(/\.js$/, ".ts")).join(", ")} only`,
  ) +
  report(engineCycles(), "Import cycles in src/engine:", "src/engine has no import cycle");
console.log("Reminders:");
for (const r of reminders()) console.log(`  - ${r}`);
process.exitCode = broken ? 1 : 0;
