/**
 * (e) Webhook intake (issue 11): 2,000 signed deliveries on loopback, offered at 200 per second
 * (open loop: each is sent at its time whether or not the earlier ones were answered), to the
 * app's intake server in a child process of its own.
 *
 * - Durable: the real server, the SQLite inbox ('process' durability, a temp file: each delivery
 *   committed before its answer), WAL checkpoints in a thread (state/checkpointer.ts) and the
 *   inbox worker marking each delivery handled (a no-op handler), as in the app.
 *   BENCH_AUTO_CHECKPOINT=1 measures SQLite's automatic checkpoints at the journal's threshold
 *   instead (for comparison).
 * - Baseline: the same server, whose store answers `recordDelivery` without recording anything,
 *   and no worker.
 *
 * Latency of one delivery: from just before the request is written to the end of the answer,
 * on the client (performance.now). Also measured: deliveries/s at saturation (2,000 sent with 16
 * in flight, as fast as they are answered). Each mode gets an unmeasured warm-up of 200.
 * Target (absolute): p99 < 20 ms at 200/s with the inbox durable; the ratios to the baseline
 * are reported.
 */
import { fork } from "node:child_process";
import { Agent, request } from "node:http";
import { fileURLToPath } from "node:url";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { createIntakeServer } from "../src/app/intake/server.js";
import { signBody } from "../src/app/intake/signature.js";
import { createInboxWorker } from "../src/app/intake/worker.js";
import { startCheckpointer } from "../src/app/state/checkpointer.js";
import { createSqliteAppStore } from "../src/app/state/sqlite.js";
import type { AppStore } from "../src/app/state/types.js";
import { nullLogger, systemClock } from "../src/engine/ports.js";
import { quantile, round, tempDir } from "./workload.js";

export const DELIVERIES = 2_000;
export const RATE_PER_SEC = 200;
const WARM_UP = 200;
const SATURATION_IN_FLIGHT = 16;
const SECRET = "bench-secret";
export const WEBHOOK_TARGET = { p99Ms: 20 };

type Mode = "durable" | "baseline";

export interface WebhookModeResult {
  mode: Mode;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Answered per second at the offered 200/s (first send to last answer). */
  offeredPerSec: number;
  /** Answered per second at saturation (16 in flight). */
  saturationPerSec: number;
  /** Deliveries sent, warm-up included. */
  sent: number;
  /** Non-2xx answers (must be 0). */
  errors: number;
  /** Deliveries the inbox holds at the end (durable: every one sent). */
  recorded: number;
  /** Deliveries the worker handled (durable: every one sent). */
  handled: number;
}

export interface WebhooksResult {
  deliveries: number;
  ratePerSec: number;
  payloadBytes: number;
  durable: WebhookModeResult;
  baseline: WebhookModeResult;
}

/** A store that records nothing: the baseline's. */
function nullStore(): AppStore {
  const none = async () => undefined;
  return {
    recordDelivery: async () => true,
    pendingDeliveries: async () => [],
    startDelivery: none,
    noteFailedAttempt: none,
    finishDelivery: none,
    getDelivery: none,
    inboxStats: async () => ({ pending: 0, oldestPendingAt: null, total: 0 }),
    reportTarget: none,
    saveReportTarget: none,
    cursor: async () => 0,
    setCursor: none,
    get: none,
    put: none,
    byWorkflowRun: async () => [],
    waiting: async () => [],
    complete: none,
    close: none,
  };
}

/** The server side, in the child: listens, reports its port, and on "stop" its counts. */
async function serverChild(mode: Mode): Promise<void> {
  const tmp = tempDir("webhooks");
  // As the app does: no automatic checkpoints on the connection, a thread checkpoints instead.
  const path = tmp.file("app.db");
  const store = mode === "durable" ? createSqliteAppStore({ path, autoCheckpoint: false }) : nullStore();
  const checkpointer =
    mode === "durable" && !process.env.BENCH_AUTO_CHECKPOINT
      ? startCheckpointer({ path, log: nullLogger })
      : undefined;
  if (process.env.BENCH_AUTO_CHECKPOINT && "db" in store) {
    (store as { db: { pragma(s: string): unknown } }).db.pragma("wal_autocheckpoint = 10000");
  }
  let handled = 0;
  const worker =
    mode === "durable"
      ? createInboxWorker({
          store,
          clock: systemClock,
          log: nullLogger,
          handle: async () => {
            handled++;
            return "done";
          },
        })
      : undefined;
  const server = createIntakeServer({ secret: SECRET, store, log: nullLogger, onRecorded: worker?.kick });
  const { port } = await server.listen(0, "127.0.0.1");
  process.send?.({ port });
  process.on("message", (m) => {
    if (m !== "stop") return;
    void (async () => {
      await worker?.drain();
      await worker?.stop();
      const recorded = (await store.inboxStats()).total;
      await checkpointer?.stop();
      await server.close();
      await store.close();
      tmp.cleanup();
      process.send?.({ recorded, handled }, () => process.exit(0));
    })();
  });
}

interface Sent {
  status: number;
  ms: number;
}

function post(agent: Agent, port: number, body: Buffer, headers: Record<string, string>): Promise<Sent> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = request(
      { host: "127.0.0.1", port, path: "/api/github/webhooks", method: "POST", agent, headers },
      (res) => {
        res.resume();
        res.on("end", () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - started }));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

/** The delivery payload: a real issue_comment.created from @octokit/webhooks-examples. */
function payload(): Buffer {
  const file = createRequire(import.meta.url).resolve("@octokit/webhooks-examples/api.github.com/index.json");
  const events = JSON.parse(readFileSync(file, "utf8")) as {
    name: string;
    examples: { action?: string }[];
  }[];
  const example = events
    .find((e) => e.name === "issue_comment")
    ?.examples.find((x) => x.action === "created");
  return Buffer.from(JSON.stringify(example));
}

async function measureMode(mode: Mode, body: Buffer): Promise<WebhookModeResult> {
  const child = fork(fileURLToPath(import.meta.url), ["webhooks-server", mode], {
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const messages: unknown[] = [];
  let wake: (() => void) | undefined;
  child.on("message", (m) => {
    messages.push(m);
    wake?.();
  });
  const next = async <T>(): Promise<T> => {
    while (messages.length === 0) await new Promise<void>((r) => (wake = r));
    return messages.shift() as T;
  };
  const { port } = await next<{ port: number }>();
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const signature = signBody(SECRET, body);
  let n = 0;
  const headersOf = () => ({
    "content-type": "application/json",
    "content-length": String(body.length),
    "x-github-event": "issue_comment",
    "x-github-delivery": `bench-${mode}-${n++}`,
    "x-hub-signature-256": signature,
  });

  // Warm-up, unmeasured.
  await Promise.all(Array.from({ length: WARM_UP }, () => post(agent, port, body, headersOf())));

  // Offered load: one delivery every 1000/RATE ms, on schedule.
  const interval = 1000 / RATE_PER_SEC;
  const started = performance.now();
  const sends: Promise<Sent>[] = [];
  for (let i = 0; i < DELIVERIES; i++) {
    const due = started + i * interval;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    sends.push(post(agent, port, body, headersOf()));
  }
  const offered = await Promise.all(sends);
  const offeredMs = performance.now() - started;

  // Saturation: as fast as answered, 16 in flight.
  const satStarted = performance.now();
  let left = DELIVERIES;
  const saturation: Sent[] = [];
  await Promise.all(
    Array.from({ length: SATURATION_IN_FLIGHT }, async () => {
      while (left > 0) {
        left--;
        saturation.push(await post(agent, port, body, headersOf()));
      }
    }),
  );
  const satMs = performance.now() - satStarted;
  agent.destroy();

  child.send("stop");
  const counts = await next<{ recorded: number; handled: number }>();
  const ms = offered.map((s) => s.ms);
  return {
    mode,
    p50Ms: round(quantile(ms, 0.5), 2),
    p99Ms: round(quantile(ms, 0.99), 2),
    maxMs: round(Math.max(...ms), 1),
    offeredPerSec: round(DELIVERIES / (offeredMs / 1000)),
    saturationPerSec: round(DELIVERIES / (satMs / 1000)),
    sent: n,
    errors: [...offered, ...saturation].filter((s) => s.status < 200 || s.status > 299).length,
    recorded: counts.recorded,
    handled: counts.handled,
  };
}

/** Runs (e): the baseline, then the durable intake, each with its server in a child process. */
export async function runWebhooksBench(): Promise<WebhooksResult> {
  const body = payload();
  const baseline = await measureMode("baseline", body);
  const durable = await measureMode("durable", body);
  return { deliveries: DELIVERIES, ratePerSec: RATE_PER_SEC, payloadBytes: body.length, durable, baseline };
}

if (process.send && process.argv[2] === "webhooks-server") {
  serverChild(process.argv[3] as Mode).catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
