import type { RunMetadata, SignalRecord } from "./journal.js";
import type { Clock, Logger } from "./ports.js";
import type { SecretMasker } from "./secrets/index.js";

/** Values a step produced; later steps read them as `${{ steps.<id>.outputs.<name> }}`. */
export type StepOutputs = Record<string, unknown>;

/**
 * The run a step belongs to, as its handler (and a kind's `forRun`) sees it. Read-only: the
 * metadata object is frozen.
 */
export interface RunInfo {
  id: string;
  workflow: string;
  /** The key the run was started with (see StartOptions.key), or null. */
  key: string | null;
  /** What the host gave at start (see StartOptions.metadata); `{}` when nothing. */
  metadata: RunMetadata;
}

/** What a step handler receives for one attempt. */
export interface StepContext {
  runId: string;
  /** The run: its id, workflow, key and metadata (e.g. the installation a GitHub client is for). */
  run: RunInfo;
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
   * The run's secret values (inputs declared `secret: true`, the variables under `secrets:`). The
   * engine masks what a step logs, throws and outputs; a handler that cuts text it did not write
   * (a command's output, a response body) masks it first — `maskText(text, ctx.secrets)` — since
   * a cut can leave part of a secret that masking no longer recognises.
   */
  secrets: SecretMasker;
  /**
   * Journals what this attempt started outside the engine (plain JSON, opaque to the engine: e.g.
   * the `run` kind's process group and its start time). Resolves once durable; a handler awaits
   * it before letting the process do any work, so that a resume after a crash can hand the record
   * to the kind's `stopOrphan` before the step runs again.
   */
  recordProcess(process: unknown): Promise<void>;
  /**
   * A durable timer: the deadline `now + ms`, journaled by this step's first call; every later
   * call for the step (another attempt, a resume after a crash, a wake) returns the recorded one,
   * so a wait that restarts waits only the remainder.
   */
  deadline(ms: number): Promise<number>;
  /**
   * Waits for a deadline (from `deadline`), a signal (see `engine.signal`), or whichever comes
   * first. Resolves with the signal this step took (the oldest of that name no other step took;
   * the same one again when the step runs again), or null once the deadline has passed. While
   * the run has nothing else in flight the engine parks it instead: this rejects (let it
   * propagate), the attempt ends with reason `parked`, and the step runs again when the engine
   * wakes the run. Rejects with the abort reason when `signal` aborts.
   */
  waitFor(what: WaitFor): Promise<SignalRecord | null>;
}

/** What `StepContext.waitFor` waits for: at least one of them. */
export interface WaitFor {
  /** Epoch ms on the engine's clock, as `StepContext.deadline` returns it. */
  deadline?: number;
  /** The name of a signal sent to the run. */
  signal?: string;
}

/**
 * A step kind. Register custom kinds with `engine.register(kind, handler)`; built-in kinds
 * (`run`, `http`) live in `src/steps/` and are registered by the hosts; the durable kinds `wait`
 * and `signal` are the engine's own (src/engine/kinds/), always registered.
 *
 * Per-run services: a kind whose handler needs something made for each run (e.g. a GitHub
 * client for the run's installation, from `run.metadata`) sets `forRun`. The engine then calls
 * `forRun(run)` at most once per execution of the run in this process — when a step of the kind
 * first runs, or when an orphan of the kind is stopped on resume — and uses the handler it
 * returns (its `execute`, and its `stopOrphan` when it has one) for that run's steps of the kind
 * until the run stops here; then it drops it (a resume, here or elsewhere, calls `forRun` again).
 * Nothing is shared between runs unless the host shares it. The static parts — `validate`,
 * `dependency`, `outputs`, `rawConfig` — are always read from the registered handler, since they
 * are used before any run exists. A `forRun` that throws fails the attempt that needed it (as if
 * `execute` had thrown: recovery applies, and the next attempt calls `forRun` again), or the
 * resume that needed it to stop an orphan.
 */
export interface StepHandler {
  /**
   * Runs one attempt. Throw to fail the attempt; return outputs to succeed. With `forRun`, the
   * registered handler's own `execute` is not called for runs (it may throw).
   */
  execute(ctx: StepContext): Promise<StepOutputs | undefined>;
  /** Makes the handler that executes one run's steps of this kind (see above). */
  forRun?(run: RunInfo): StepHandlerLike;
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
   * Called when the engine takes over a run whose owner died — on resume before the run goes on
   * (or is blocked), and when a cancel ends it — with each record this kind journaled through
   * `ctx.recordProcess` for an attempt that never finished: stop what it describes if it still
   * runs. Must not touch anything it cannot prove is the recorded process (a pid may have been
   * reused). Throwing stops the resume or the cancel: the step must not run twice at once, nor
   * outlive its run.
   */
  stopOrphan?(process: unknown, logger: Logger): Promise<void>;
  /**
   * The kind waits (for time or a signal) rather than works: the default step timeout
   * (`defaults.timeout`, 10 minutes) does not apply to it; a step's own `timeout:` does.
   */
  waits?: boolean;
  /**
   * The names of the signals a step of this kind waits for (see `engine.signal`), from its config
   * as written and its id; `undefined` when they cannot be known before the step runs (e.g. a
   * name given by an expression). `engine.signal` accepts any name a step of the run's plan
   * declares here; a run with a step whose kind returns `undefined` accepts every name. A kind
   * without `signals` waits for none.
   */
  signals?(config: unknown, stepId: string): string[] | undefined;
}

export type StepHandlerLike = StepHandler | StepHandler["execute"];

export function toHandler(h: StepHandlerLike): StepHandler {
  return typeof h === "function" ? { execute: h } : h;
}
