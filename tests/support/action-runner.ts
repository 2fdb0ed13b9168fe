/**
 * Runs the built Action as a GitHub runner runs it: the repository's committed files (a
 * `git archive` of HEAD, what the runner downloads for `uses: owner/repo@ref`), `node action/main.mjs`
 * under Node 24 (the action's `runs.using`), with the runner's environment and files.
 */
import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { node24 } from "./node24.js";

const repoRoot = resolve(import.meta.dirname, "../..");

/** Extracts the committed tree of HEAD into a new directory; returns it. */
export function checkoutAction(): string {
  const dir = mkdtempSync(join(tmpdir(), "sf-action-ref-"));
  const tar = execFileSync("git", ["archive", "--format=tar", "HEAD"], { cwd: repoRoot, maxBuffer: 1 << 30 });
  execFileSync("tar", ["-x", "-C", dir], { input: tar });
  return dir;
}

export interface ActionRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** `::error file=...::message` and the like, parsed. */
  commands: WorkflowCommand[];
  outputs: Record<string, string>;
  summary: string;
}

export interface WorkflowCommand {
  command: string;
  props: Record<string, string>;
  message: string;
}

/** A step's stdout in lines as the runner reads them: a line ends at `\r\n`, `\n` or a lone `\r`. */
export function runnerLines(stdout: string): string[] {
  return stdout.split(/\r\n|\r|\n/);
}

/** The workflow commands in a step's stdout (`::name k=v,k=v::message`), unescaped. */
export function parseCommands(stdout: string): WorkflowCommand[] {
  const out: WorkflowCommand[] = [];
  for (const line of runnerLines(stdout)) {
    const m = /^::([a-z-]+)(?: ([^:]*))?::(.*)$/.exec(line);
    if (!m) continue;
    const props: Record<string, string> = {};
    for (const pair of (m[2] ?? "").split(",").filter(Boolean)) {
      const eq = pair.indexOf("=");
      props[pair.slice(0, eq)] = unescapeProperty(pair.slice(eq + 1));
    }
    out.push({ command: m[1]!, props, message: unescapeData(m[3]!) });
  }
  return out;
}

const unescapeData = (s: string) => s.replace(/%0D/g, "\r").replace(/%0A/g, "\n").replace(/%25/g, "%");
const unescapeProperty = (s: string) => unescapeData(s).replace(/%3A/g, ":").replace(/%2C/g, ",");

/** `$GITHUB_OUTPUT` as @actions/core writes it (`name<<DELIM\nvalue\nDELIM`). */
export function parseOutputFile(text: string): Record<string, string> {
  const outputs: Record<string, string> = {};
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const m = /^([^<=]+)<<(.+)$/.exec(lines[i]!);
    if (m) {
      const value: string[] = [];
      for (i++; i < lines.length && lines[i] !== m[2]; i++) value.push(lines[i]!);
      outputs[m[1]!] = value.join("\n");
    } else if (lines[i]!.includes("=")) {
      const eq = lines[i]!.indexOf("=");
      outputs[lines[i]!.slice(0, eq)] = lines[i]!.slice(eq + 1);
    }
  }
  return outputs;
}

export interface RunnerOptions {
  /** The action's directory (checkoutAction()). */
  action: string;
  /** The job's workspace (the user's repository checkout). */
  workspace: string;
  /** A fresh directory per attempt, like a new runner machine. */
  runnerTemp: string;
  /** `with:` inputs by their action.yml names. */
  inputs: Record<string, string>;
  /** More environment (GITHUB_RUN_ATTEMPT, ACTIONS_RUNTIME_TOKEN, ...). */
  env?: Record<string, string>;
  /** Called with each stdout chunk (to act on progress). */
  onStdout?: (chunk: string, all: string) => void;
}

export interface RunningAction {
  pid: number;
  kill(signal: NodeJS.Signals): void;
  done: Promise<ActionRun>;
}

/** action.yml's defaults, applied as the runner does for inputs not given. */
function defaults(action: string): Record<string, string> {
  const text = readFileSync(join(action, "action.yml"), "utf8");
  const found: Record<string, string> = {};
  const block = text.split(/^inputs:\n/m)[1]?.split(/^outputs:/m)[0] ?? "";
  let name: string | null = null;
  for (const line of block.split("\n")) {
    const key = /^ {2}([a-z-]+):$/.exec(line);
    if (key) name = key[1]!;
    const def = /^ {4}default: (.*)$/.exec(line);
    if (def && name) found[name] = def[1]!.replace(/^"(.*)"$/, "$1");
  }
  delete found["github-token"]; // `${{ github.token }}`: the test gives one or none
  return found;
}

export function startAction(options: RunnerOptions): RunningAction {
  mkdirSync(options.runnerTemp, { recursive: true });
  const files = mkdtempSync(join(options.runnerTemp, "files-"));
  const outputFile = join(files, "output");
  const summaryFile = join(files, "summary.md");
  writeFileSync(outputFile, "");
  writeFileSync(summaryFile, "");
  const inputs = { ...defaults(options.action), ...options.inputs };
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: process.env.HOME ?? "/root",
    CI: "true",
    GITHUB_ACTIONS: "true",
    GITHUB_WORKSPACE: options.workspace,
    GITHUB_REPOSITORY: "octo-org/octo-repo",
    GITHUB_RUN_ID: "1001",
    GITHUB_RUN_ATTEMPT: "1",
    GITHUB_JOB: "build",
    GITHUB_WORKFLOW: "ci",
    GITHUB_SHA: "0123456789abcdef0123456789abcdef01234567",
    GITHUB_EVENT_NAME: "push",
    GITHUB_SERVER_URL: "https://github.com",
    GITHUB_API_URL: "https://api.github.com",
    GITHUB_OUTPUT: outputFile,
    GITHUB_STEP_SUMMARY: summaryFile,
    RUNNER_TEMP: options.runnerTemp,
    RUNNER_OS: "Linux",
    ...Object.fromEntries(
      Object.entries(inputs).map(([k, v]) => [`INPUT_${k.replace(/ /g, "_").toUpperCase()}`, v]),
    ),
    ...options.env,
  };
  const child = spawn(node24(), [join(options.action, "action", "main.mjs")], {
    cwd: options.workspace,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    stdout += chunk;
    options.onStdout?.(chunk, stdout);
  });
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const done = new Promise<ActionRun>((resolveDone, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) =>
      resolveDone({
        code,
        signal,
        stdout,
        stderr,
        commands: parseCommands(stdout),
        outputs: parseOutputFile(readFileSync(outputFile, "utf8")),
        summary: readFileSync(summaryFile, "utf8"),
      }),
    );
  });
  return { pid: child.pid!, kill: (signal) => child.kill(signal), done };
}

export function runActionOnce(options: RunnerOptions): Promise<ActionRun> {
  return startAction(options).done;
}
