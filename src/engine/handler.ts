import type { Clock, Logger } from "./ports.js";

/** Values a step produced; later steps read them as `${{ steps.<id>.outputs.<name> }}`. */
export type StepOutputs = Record<string, unknown>;

/** What a step handler receives for one attempt. */
export interface StepContext {
  runId: string;
  stageId: string;
  stepId: string;
  /** 1-based attempt number of this step in this run. */
  attempt: number;
  /** `runId/stepId`: the same on every attempt and after a resume, for idempotent writes. */
  idempotencyKey: string;
  /** Aborted on step timeout, fail-fast of a sibling, stage timeout or run cancellation. */
  signal: AbortSignal;
  logger: Logger;
  clock: Clock;
  /**
   * The value under the kind's key with `${{ }}` expressions resolved, or as written when the
   * handler set `rawConfig` (the `run` kind resolves them into environment variables itself).
   */
  config: unknown;
  /** The step's `with:` map, expressions resolved. */
  with: Record<string, unknown>;
  /** The step's `env:` map, expressions resolved. */
  env: Record<string, string>;
  /** The run's inputs. */
  inputs: Record<string, unknown>;
  /** Evaluates an expression (the text inside `${{ }}`) against inputs and earlier outputs. */
  evaluate(expression: string): unknown;
  /**
   * The run's scratch directory (e.g. for the outputs file of `run`). A handler creates it when
   * it needs it, owner-only (mode 0700); it is removed when the run ends, except after a failure
   * (kept for inspection until `stageflow prune`).
   */
  workDir: string;
  /**
   * Keeps a line of the step's own output (a command's stdout or stderr) as the step's log, shown
   * by `stageflow logs`: masked and bounded per attempt by the engine.
   */
  log(stream: "stdout" | "stderr", line: string): void;
  /**
   * Journals what this attempt started outside the engine (plain JSON, opaque to the engine: e.g.
   * the `run` kind's process group and its start time). Resolves once durable; a handler awaits
   * it before letting the process do any work, so that a resume after a crash can hand the record
   * to the kind's `stopOrphan` before the step runs again.
   */
  recordProcess(process: unknown): Promise<void>;
}

/**
 * A step kind. Register custom kinds with `engine.register(kind, handler)`; built-in kinds
 * (`run`, `http`, `wait`) live in `src/steps/` and are registered by the hosts.
 */
export interface StepHandler {
  /** Runs one attempt. Throw to fail the attempt; return outputs to succeed. */
  execute(ctx: StepContext): Promise<StepOutputs | undefined>;
  /** When true, `ctx.config` arrives with `${{ }}` unresolved. @default false */
  rawConfig?: boolean;
  /**
   * Checks the kind's config at validation time (before any run starts). Returns problems as
   * `[relativePath, message]` pairs, e.g. `["url", "must be an absolute http(s) URL"]`.
   */
  validate?(config: unknown, withMap: Record<string, unknown>): Array<[string, string]>;
  /** Circuit-breaker key for a step of this kind, e.g. the host of an HTTP URL. */
  dependency?(config: unknown, withMap: Record<string, unknown>): string | undefined;
  /** Output names this kind always produces (used to check references statically). */
  outputs?: readonly string[];
  /**
   * Called on resume, before the run goes on, with each record this kind journaled through
   * `ctx.recordProcess` for an attempt that never finished (its owner died): stop what it
   * describes if it still runs. Must not touch anything it cannot prove is the recorded process
   * (a pid may have been reused). Throwing stops the resume: the step must not run twice at once.
   */
  stopOrphan?(process: unknown, logger: Logger): Promise<void>;
}

export type StepHandlerLike = StepHandler | StepHandler["execute"];

export function toHandler(h: StepHandlerLike): StepHandler {
  return typeof h === "function" ? { execute: h } : h;
}
