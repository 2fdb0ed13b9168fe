/**
 * A seeded fault injector: the `faulty` step kind, whose attempts fail according to a plan drawn
 * from the run's `seed` input, with errors shaped like the real ones (Node network errors, HTTP
 * answers with their headers, GitHub's rate limits, engine timeouts, model outages, template
 * failures, full disks, bad configuration, security findings, 5xx answers).
 *
 * The plan of a step depends only on (seed, step id, the step's fault profile), so a run is
 * reproducible, and a resumed run sees the same faults for the same attempt numbers. Attempt
 * `n` fails with `plan[n - 1]` when there is one, and succeeds otherwise.
 */
import type { Engine } from "../../src/engine/engine-api.js";
import { isTimeout } from "../../src/engine/errors.js";
import type { StepContext } from "../../src/engine/handler.js";
import { type Random, seededRandom } from "../../src/engine/ports.js";
// The error the `http` kind throws for a non-2xx answer, status and headers included.
import { HttpError } from "../../src/steps/errors.js";

export const FAULT_TYPES = [
  "network",
  "rate_limit",
  "timeout",
  "ai_service",
  "validation",
  "resource",
  "configuration",
  "security",
  "server",
] as const;
export type FaultType = (typeof FAULT_TYPES)[number];

/** The engine's error type a fault should be classified as. */
export const EXPECTED_ERROR_TYPE: Record<FaultType, string> = {
  network: "network",
  rate_limit: "rate_limit",
  timeout: "timeout",
  ai_service: "ai_service",
  validation: "validation",
  resource: "resource",
  configuration: "configuration",
  security: "security",
  server: "network",
};

/** What a `faulty` step may suffer; the value under the kind's key in the workflow. */
export interface FaultProfile {
  /** Fault types an attempt may fail with (drawn uniformly). */
  types: FaultType[];
  /** Probability that an attempt fails, drawn again after each failure. */
  p: number;
  /** At most this many faults for the step. @default 6 */
  max?: number;
  /** Probability that the step's first attempt fails with a configuration error (a negative control). */
  configuration?: number;
}

/** The model an `ai_service` fault spares: the alternative's `with: { model }`. */
export const BACKUP_MODEL = "gpt-backup";

/** A Node system error (`err.code`, `err.syscall`), as `net`, `dns` and `fs` throw them. */
function systemError(message: string, code: string, syscall: string): Error {
  return Object.assign(new Error(message), { code, errno: -1, syscall });
}

function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

function pick<T>(random: Random, items: readonly T[]): T {
  const item = items[Math.floor(random.next() * items.length)];
  if (item === undefined) throw new Error("pick from an empty list");
  return item;
}

/** One injected fault: its type and which of the type's real-world shapes it takes. */
export interface Fault {
  type: FaultType;
  /** Index of the shape (e.g. 429 vs GitHub primary vs secondary rate limit). */
  shape: number;
}

const SHAPES: Record<FaultType, number> = {
  network: 4,
  rate_limit: 3,
  timeout: 2,
  ai_service: 1,
  validation: 1,
  resource: 2,
  configuration: 1,
  security: 1,
  server: 2,
};

/** The faults of one step of one run, attempt by attempt (pure: same inputs, same plan). */
export function faultPlan(seed: number, stepId: string, profile: FaultProfile): Fault[] {
  const random = seededRandom(fnv1a(`${seed}/${stepId}`));
  const plan: Fault[] = [];
  const max = profile.max ?? 6;
  if (profile.configuration !== undefined && random.next() < profile.configuration) {
    plan.push({ type: "configuration", shape: 0 });
  }
  while (plan.length < max && random.next() < profile.p) {
    const type = pick(random, profile.types);
    plan.push({ type, shape: Math.floor(random.next() * SHAPES[type]) });
  }
  return plan;
}

/**
 * The error a fault throws. `now` is the clock's time (GitHub's `x-ratelimit-reset` is an epoch).
 * Timeouts of shape 0 do not throw: the attempt hangs until the step timeout aborts it (the
 * engine's own TimeoutError), see `FaultInjector`.
 */
export function faultError(fault: Fault, now: number, ctx: { stepId: string; model?: string }): Error {
  const url = `https://api.example.com/v1/${ctx.stepId}`;
  switch (fault.type) {
    case "network":
      return [
        () => systemError("read ECONNRESET", "ECONNRESET", "read"),
        () => systemError("connect ETIMEDOUT 10.0.0.7:443", "ETIMEDOUT", "connect"),
        () => systemError("getaddrinfo EAI_AGAIN api.example.com", "EAI_AGAIN", "getaddrinfo"),
        () => Object.assign(new Error("socket hang up"), { code: "ECONNRESET" }),
      ][fault.shape % 4]!();
    case "rate_limit":
      return [
        () => new HttpError(`GET ${url} answered 429 Too Many Requests`, 429, { "retry-after": "3" }),
        () =>
          new HttpError("API rate limit exceeded for installation ID 1234.", 403, {
            "x-ratelimit-limit": "5000",
            "x-ratelimit-remaining": "0",
            "x-ratelimit-reset": String(Math.floor(now / 1000) + 60),
          }),
        () =>
          new HttpError(
            "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
            403,
            { "x-ratelimit-remaining": "4000", "retry-after": "30" },
          ),
      ][fault.shape % 3]!();
    case "timeout":
      return new Error(`request to ${url} timed out after 30000 ms`);
    case "ai_service":
      return Object.assign(new Error(`Model ${ctx.model ?? "gpt-x"} unavailable`), {
        name: "AIServiceError",
      });
    case "validation":
      return new Error(`Template render failed: unknown variable 'version' in ${ctx.stepId}/index.md.tmpl:3`);
    case "resource":
      return fault.shape % 2 === 0
        ? systemError("ENOSPC: no space left on device, write", "ENOSPC", "write")
        : Object.assign(new Error("JavaScript heap out of memory"), { name: "RangeError" });
    case "configuration":
      return new Error(`invalid configuration: missing required setting 'DEPLOY_TOKEN' for ${ctx.stepId}`);
    case "security":
      return new Error("security check failed: CVE-2026-12345 in lodash@4.17.20 (critical)");
    case "server":
      return fault.shape % 2 === 0
        ? new HttpError(`POST ${url} answered 503 Service Unavailable`, 503, {})
        : new HttpError(`GET ${url} answered 502 Bad Gateway`, 502, {});
  }
}

/** One attempt as the injector saw it. */
export interface InjectedAttempt {
  runId: string;
  stepId: string;
  attempt: number;
  /** The fault the attempt failed with; null when it succeeded. */
  fault: FaultType | null;
  idempotencyKey: string;
  model: string | undefined;
  at: number;
  /**
   * The attempt was cut short by something other than its fault (a sibling's failure, a cancel):
   * the engine decides nothing after it.
   */
  aborted: boolean;
}

/** Registers the `faulty` kind on engines and records every attempt it ran. */
export class FaultInjector {
  readonly attempts: InjectedAttempt[] = [];
  private readonly plans = new Map<string, Fault[]>();

  /** The plan of (seed, step), cached. */
  plan(seed: number, stepId: string, profile: FaultProfile): Fault[] {
    const key = `${seed}/${stepId}`;
    let plan = this.plans.get(key);
    if (!plan) {
      plan = faultPlan(seed, stepId, profile);
      this.plans.set(key, plan);
    }
    return plan;
  }

  register(engine: Engine, kind = "faulty"): void {
    engine.register(kind, {
      execute: (ctx) => this.execute(ctx),
      validate: (config) => {
        const p = config as Partial<FaultProfile> | null;
        return p && Array.isArray(p.types) && typeof p.p === "number" ? [] : [["", "needs types and p"]];
      },
    });
  }

  private async execute(ctx: StepContext) {
    const profile = ctx.config as FaultProfile;
    const seed = Number(ctx.inputs.seed);
    const model = typeof ctx.with.model === "string" ? ctx.with.model : undefined;
    let fault = this.plan(seed, ctx.stepId, profile)[ctx.attempt - 1] ?? null;
    // The backup model is up: a model outage spares it.
    if (fault?.type === "ai_service" && model === BACKUP_MODEL) fault = null;
    const record: InjectedAttempt = {
      runId: ctx.runId,
      stepId: ctx.stepId,
      attempt: ctx.attempt,
      fault: fault?.type ?? null,
      idempotencyKey: ctx.idempotencyKey,
      model,
      at: ctx.clock.now(),
      aborted: false,
    };
    this.attempts.push(record);
    if (fault?.type === "timeout" && fault.shape === 0) {
      // Hangs until the step timeout fires: the engine's TimeoutError ends the attempt.
      await new Promise((_, reject) => {
        const onAbort = () => {
          record.aborted = !isTimeout(ctx.signal.reason);
          reject(ctx.signal.reason);
        };
        if (ctx.signal.aborted) onAbort();
        ctx.signal.addEventListener("abort", onAbort, { once: true });
      });
    }
    if (fault) throw faultError(fault, ctx.clock.now(), { stepId: ctx.stepId, model });
    return { step: ctx.stepId, attempt: ctx.attempt, ...(model ? { model } : {}) };
  }
}
