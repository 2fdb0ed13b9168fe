import { randomBytes } from "node:crypto";
/**
 * The `run` kind: a shell command. Expressions in the command reach it only through environment
 * variables (see run-template.ts); outputs come from the `$STAGEFLOW_OUTPUT` file.
 */
import { accessSync, constants } from "node:fs";
import { mkdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import type { StepContext, StepHandler, StepOutputs } from "../engine/handler.js";
import { maskText } from "../engine/secrets/index.js";
import { RunStepError } from "./errors.js";
import { MAX_OUTPUT_BYTES, OutputFileError, parseOutputFile } from "./output-file.js";
import { describeGroup, stopOrphanGroup } from "./orphans.js";
import { runInProcessGroup } from "./process-group.js";
import { envName, findExpressions, rewriteCommand, toEnvValue } from "./run-template.js";

/**
 * What the host gives the `run` kind: commands run nowhere and with nothing but what it passes
 * (no fallback to the process's own directory or environment).
 */
export interface RunStepOptions {
  /** The directory commands start in; a step's `with.working_directory` resolves against it. */
  cwd: string;
  /**
   * The environment commands start from (the CLI passes its own; an App passes only what its
   * commands may see). A step's `env:` and the STAGEFLOW_* variables are added on top.
   */
  env: Readonly<Record<string, string | undefined>>;
  /**
   * Between SIGTERM and SIGKILL of the command's process group (on abort, when the command left
   * processes behind, and when a resume stops a dead owner's group). @default 2000
   */
  killGraceMs?: number;
}

const SHELLS = ["bash", "sh"] as const;
/** `with:` keys the `run` kind itself reads; the others become WITH_<NAME> variables. */
const RUN_OPTIONS = new Set(["shell", "working_directory"]);

/** The `run` kind for a host's directory and environment (see `builtinSteps({ run })`). */
export function createRunStep(options: RunStepOptions): StepHandler {
  if (typeof options?.cwd !== "string" || options.cwd === "") {
    throw new TypeError(
      "run kind: options.run.cwd must be the directory commands start in (a non-empty path)",
    );
  }
  if (typeof options.env !== "object" || options.env === null) {
    throw new TypeError("run kind: options.run.env must be the environment commands start from (an object)");
  }
  const killGraceMs = options.killGraceMs ?? 2000;
  const baseDir = path.resolve(options.cwd);
  return {
    rawConfig: true,
    validate: validateRun,
    dependency: () => undefined,
    async stopOrphan(record, logger) {
      await stopOrphanGroup(record, logger, { graceMs: killGraceMs });
    },
    async execute(ctx) {
      if (typeof ctx.config !== "string" || ctx.config.trim() === "") {
        throw new TypeError("run: expected a non-empty command string");
      }
      const { command, env: exprEnv } = rewriteCommand(ctx.config, (e) => ctx.evaluate(e));
      // A fresh name per execution: an orphan of a killed process may still write its own file.
      const outputFile = path.join(
        ctx.workDir,
        `${ctx.stepId.replace(/[^\w.-]/g, "_")}-${ctx.attempt}-${randomBytes(4).toString("hex")}.out`,
      );
      // Owner-only: the file may hold outputs, the directory names the run (see engine/work-dir.ts).
      await mkdir(ctx.workDir, { recursive: true, mode: 0o700 });
      await writeFile(outputFile, "", { mode: 0o600 });
      const env = buildEnv(options.env, ctx, outputFile, exprEnv);
      // Removed however the attempt ends: read, failed, or aborted (timeout, cancel, SIGTERM)
      // while the command runs — the file may already hold outputs, secrets among them.
      try {
        const cwd = await workingDirectory(baseDir, ctx.with.working_directory);
        const result = await runInProcessGroup([...shellArgv(ctx.with.shell, env.PATH), command], {
          cwd,
          env,
          signal: ctx.signal,
          secrets: ctx.secrets,
          killGraceMs,
          // Journaled before the command starts: a resume stops it if this process dies.
          beforeStart: async (pgid) => ctx.recordProcess(await describeGroup(pgid)),
          onLine: (stream, line) => {
            ctx.log(stream, line);
            ctx.logger[stream === "stdout" ? "info" : "warn"](line, { step: ctx.stepId });
          },
        });
        if (result.exitCode !== 0) throw new RunStepError(result.exitCode, result.signal, result.stderrTail);
        return await readOutputs(outputFile, (text) => maskText(text, ctx.secrets));
      } finally {
        await rm(outputFile, { force: true });
      }
    },
  };
}

function validateRun(config: unknown, withMap: Record<string, unknown>): Array<[string, string]> {
  const problems: Array<[string, string]> = [];
  if (typeof config !== "string" || config.trim() === "") {
    problems.push(["", "must be a non-empty command string"]);
  } else {
    try {
      findExpressions(config);
    } catch (e) {
      problems.push(["", (e as Error).message]);
    }
  }
  const { shell, working_directory: dir } = withMap;
  if (shell !== undefined && !SHELLS.includes(shell as (typeof SHELLS)[number])) {
    problems.push(["with.shell", `must be one of ${SHELLS.join(", ")}`]);
  }
  if (dir !== undefined && (typeof dir !== "string" || dir === "")) {
    problems.push(["with.working_directory", "must be a non-empty path"]);
  }
  return problems;
}

function buildEnv(
  base: Readonly<Record<string, string | undefined>>,
  ctx: StepContext,
  outputFile: string,
  exprEnv: Record<string, string>,
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base };
  for (const [name, value] of Object.entries(ctx.inputs)) env[envName("INPUT", name)] = toEnvValue(value);
  // Other `with:` keys reach the command as WITH_<NAME>, so a recovery alternative's `with`
  // overrides (another mirror, model or template) change what the command sees.
  for (const [name, value] of Object.entries(ctx.with)) {
    if (!RUN_OPTIONS.has(name)) env[envName("WITH", name)] = toEnvValue(value);
  }
  for (const [name, value] of Object.entries(ctx.env)) env[name] = toEnvValue(value);
  env.STAGEFLOW_OUTPUT = outputFile;
  env.STAGEFLOW_RUN_ID = ctx.runId;
  env.STAGEFLOW_STEP_ID = ctx.stepId;
  env.STAGEFLOW_ATTEMPT = String(ctx.attempt);
  env.STAGEFLOW_IDEMPOTENCY_KEY = ctx.idempotencyKey;
  return Object.assign(env, exprEnv);
}

function shellArgv(shell: unknown, pathVar: string | undefined): string[] {
  const bash = shell === "sh" ? undefined : findOnPath("bash", pathVar);
  if (bash) return [bash, "-e", "-o", "pipefail", "-c"];
  if (shell === "bash") throw new Error("run: shell 'bash' was not found on PATH");
  return ["sh", "-e", "-c"];
}

function findOnPath(name: string, pathVar = ""): string | undefined {
  for (const dir of pathVar.split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

async function workingDirectory(baseDir: string, dir: unknown): Promise<string> {
  if (dir === undefined) return baseDir;
  const resolved = path.resolve(baseDir, String(dir));
  const info = await stat(resolved).catch(() => undefined);
  if (!info?.isDirectory()) throw new Error(`run: working_directory '${resolved}' is not a directory`);
  return resolved;
}

async function readOutputs(file: string, mask: (text: string) => string): Promise<StepOutputs> {
  const info = await stat(file).catch(() => undefined);
  if (!info) return {};
  if (info.size > MAX_OUTPUT_BYTES) {
    throw new OutputFileError(`$STAGEFLOW_OUTPUT is ${info.size} bytes; the limit is ${MAX_OUTPUT_BYTES}`);
  }
  return parseOutputFile(await readFile(file, "utf8"), mask);
}
