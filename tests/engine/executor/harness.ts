import { parseWorkflow } from "../../../src/engine/definition/index.js";
import { createEngine } from "../../../src/engine/engine.js";
import type { CrashHooks, EngineOptions } from "../../../src/engine/engine-api.js";
import type { EngineEvent } from "../../../src/engine/events.js";
import type { StepContext } from "../../../src/engine/handler.js";
import type { Journal } from "../../../src/engine/journal.js";
import { seededRandom } from "../../../src/engine/ports.js";
import { FakeClock } from "../../../src/engine/testing/fake-clock.js";
import { MemoryJournal } from "../../../src/store/memory/journal.js";

/**
 * The `task` kind used by engine tests. Its config says what each attempt does:
 * `{ fail: 2 }` fails the first two attempts; `{ sleep: 500 }` waits 500 ms on the clock
 * (honouring the abort signal); `{ out: {a: 1} }` returns outputs; `{ error, code, status }`
 * shapes the thrown error; `{ hang: true }` never settles unless aborted.
 */
export interface TaskConfig {
  fail?: number;
  sleep?: number;
  out?: Record<string, unknown>;
  error?: string;
  code?: string;
  status?: number;
  hang?: boolean;
}

export interface Harness {
  journal: Journal;
  clock: FakeClock;
  engine: ReturnType<typeof createEngine>;
  events: EngineEvent[];
  /** Every attempt started, as `stepId#attempt`, in order. */
  calls: string[];
  /** Attempts per step. */
  count(stepId: string): number;
  plan(yaml: string): ReturnType<typeof parseWorkflow>;
  /** A second engine on the same journal, as a new process would be. */
  restart(options?: Partial<EngineOptions>): Harness;
}

type SetupOptions = Partial<EngineOptions> & { journal?: Journal; clock?: FakeClock };

export function setup(
  options: SetupOptions = {},
  state: { calls: string[]; counts: Map<string, number> } = { calls: [], counts: new Map() },
): Harness {
  const journal = options.journal ?? new MemoryJournal();
  const clock = options.clock ?? new FakeClock(Date.UTC(2026, 0, 1), { autoAdvance: true });
  const engine = createEngine({
    random: seededRandom(7),
    owner: `test/${Math.random().toString(36).slice(2, 8)}`,
    ...options,
    journal,
    clock,
  });
  const { calls, counts } = state;
  engine.register("task", {
    async execute(ctx: StepContext) {
      const cfg = (ctx.config ?? {}) as TaskConfig;
      const n = (counts.get(ctx.stepId) ?? 0) + 1;
      counts.set(ctx.stepId, n);
      calls.push(`${ctx.stepId}#${ctx.attempt}`);
      if (cfg.hang)
        await new Promise((_, reject) =>
          ctx.signal.addEventListener("abort", () => reject(ctx.signal.reason)),
        );
      if (cfg.sleep) await ctx.clock.sleep(cfg.sleep, ctx.signal);
      if (cfg.fail !== undefined && n <= cfg.fail) {
        throw Object.assign(new Error(cfg.error ?? `${ctx.stepId} failed on call ${n}`), {
          ...(cfg.code ? { code: cfg.code } : {}),
          ...(cfg.status ? { status: cfg.status } : {}),
        });
      }
      return { ...cfg.out, call: n };
    },
    dependency: (config) => (config as { dep?: string } | undefined)?.dep,
  });
  const events: EngineEvent[] = [];
  engine.on((e) => events.push(e));
  const h: Harness = {
    journal,
    clock,
    engine,
    events,
    calls,
    count: (stepId) => counts.get(stepId) ?? 0,
    plan: (yaml) => parseWorkflow(yaml, { file: "test.yml", kinds: engine.kinds }),
    restart: (more = {}) => setup({ ...options, hooks: {}, ...more, journal: unwrap(journal), clock }, state),
  };
  return h;
}

/** A workflow of one step that never finishes unless aborted. */
export const HANGS = `
name: hangs
stages:
  - id: one
    steps:
      - id: a
        task: { hang: true }
`;

export function types(events: EngineEvent[], prefix = ""): string[] {
  return events.filter((e) => e.type.startsWith(prefix)).map((e) => e.type);
}

export type { CrashHooks };

const inner = new WeakMap<Journal, Journal>();

function unwrap(journal: Journal): Journal {
  return inner.get(journal) ?? journal;
}

/**
 * A journal that dies with its process: after `crash()`, no call reaches the journal any more and
 * none settles, so an in-process "dead" engine records nothing further, as after a SIGKILL.
 */
export function crashable(journal: Journal): { journal: Journal; crash(): void } {
  let dead = false;
  const proxy = new Proxy(journal, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver);
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => (dead ? new Promise(() => {}) : value.apply(target, args));
    },
  });
  inner.set(proxy, journal);
  return { journal: proxy, crash: () => (dead = true) };
}
