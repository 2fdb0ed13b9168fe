/**
 * The app's composition root: opens the journal and the app's state (one SQLite file), creates
 * the engine and Probot, starts the inbox worker, the intake server and the reconciler.
 * `startApp` is what tests call in-process; `runApp` is the process entry (`npm run app`).
 */
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseEnv } from "node:util";
import { type ApplicationFunction, Probot, ProbotOctokit, run as probotRun } from "probot";
import {
  builtinSteps,
  createEngine,
  type Engine,
  errorMessage,
  type Logger,
  type RunInfo,
  systemClock,
  type Clock,
} from "../index.js";
import { githubMetricsPlugin } from "../observe/github-metrics.js";
import { chainRoutes, healthRoutes } from "../observe/health-http.js";
import { createAppHealth } from "../observe/health-setup.js";
import { createMetrics, type Metrics } from "../observe/metrics.js";
import { metricsRoute } from "../observe/metrics-route.js";
import { ResourceSampler } from "../observe/sampler.js";
import { createAlerting, loadAlertsConfig } from "../observe/alerts/index.js";
import { journalCostReader } from "../observe/costs.js";
import { registryReader } from "../observe/metric-reader.js";
import { slaReport } from "../observe/sla.js";
import { createSqliteJournal, createSqliteSampleStore, type SqliteSampleStore } from "../sqlite.js";
import { journalPragmas } from "../store/sqlite/open.js";
import { createStageflowAppOn, type StageflowApp, type StageflowAppOptions } from "./compose.js";
import { AppConfigError, type AppConfig, readAppConfig } from "./env-config.js";
import { createIntakeServer, type IntakeServerOptions } from "./intake/server.js";
import { type Reconciler, startReconciler } from "./intake/reconcile.js";
import { createInboxWorker, type InboxWorker, type InboxWorkerOptions } from "./intake/worker.js";
import { appOwnerId, isAppOwnerAlive } from "./owner.js";
import { startCheckpointer } from "./state/checkpointer.js";
import { createSqliteAppStore } from "./state/sqlite.js";
import type { AppStore, InboxEntry } from "./state/types.js";

/** The journal's automatic checkpoint pragma, restored if the checkpoint thread fails. */
/** How often the alert rules are evaluated. */
const ALERT_EVALUATION_MS = 60_000;

const AUTOCHECKPOINT =
  journalPragmas("process").find((p) => p.startsWith("wal_autocheckpoint")) ?? "wal_autocheckpoint = 1000";

/** What the app's parts share; handed to the app function and to `handle`. */
export interface AppServices {
  config: AppConfig;
  engine: Engine;
  store: AppStore;
  probot: Probot;
  clock: Clock;
  log: Logger;
}

export interface AppDeps {
  /**
   * The Probot app (the handlers), made from the app's services. It may register step kinds on
   * `services.engine` (it runs before the worker takes the first delivery).
   */
  app?: (services: AppServices) => ApplicationFunction | Promise<ApplicationFunction>;
  /** Options of stageflow's own app (used when neither `app` nor `appFn` is given). */
  stageflow?: StageflowAppOptions;
  /** A ready-made Probot app function (when it needs none of the services). */
  appFn?: ApplicationFunction;
  /** What the worker does with each delivery. @default `probot.receive({ id, name, payload })`, then "done" */
  handle?: (entry: InboxEntry, services: AppServices) => Promise<"done" | "ignored">;
  /** Probot's Octokit class (tests: retries and throttling off). */
  Octokit?: typeof ProbotOctokit;
  /** @default systemClock */
  clock?: Clock;
  /** @default Probot's logger (pino) at LOG_LEVEL */
  log?: Logger;
  /** Extra HTTP routes beside the webhook path (e.g. /health), after `/metrics`. */
  routes?: IntakeServerOptions["routes"];
  /**
   * The app's metrics (served at `/metrics`). @default createMetrics({ clock, activity: sampler })
   * (given, the sampler follows the engine's events itself)
   */
  metrics?: Metrics;
  /** Deliveries handled at once by the worker. @default 1 */
  concurrency?: number;
  /** Test hook (crash tests): see InboxWorkerOptions.beforeHandle. Off unless given. */
  beforeHandle?: InboxWorkerOptions["beforeHandle"];
}

export interface RunningApp {
  /** The port the intake server listens on. */
  port: number;
  probot: Probot;
  engine: Engine;
  store: AppStore;
  worker: InboxWorker;
  /** The app's metrics (`/metrics`): the journal's history, then live events. */
  metrics: Metrics;
  /**
   * The profiler's resource sampler: memory and event-loop lag while runs are active, each sample
   * stored in STAGEFLOW_DB (`stageflow report RUN` prints them). Stopped by `close()`.
   */
  sampler: ResourceSampler;
  /** stageflow's app (handlers, reporter), when startApp made it. */
  stageflow: StageflowApp | undefined;
  /** Stops the server, the reconciler and the worker (waiting for the delivery in hand), then the engine, and closes the database. */
  close(): Promise<void>;
}

/** The circuit-breaker scope of a run: its installation (`installation:<id>`), when it has one. */
export function installationScope(run: RunInfo): string | undefined {
  const id = run.metadata.installationId;
  return typeof id === "number" ? `installation:${id}` : undefined;
}

/** A Logger over Probot's pino logger. */
export function pinoLogger(pino: Probot["log"]): Logger {
  return {
    debug: (msg, fields) => pino.debug(fields ?? {}, msg),
    info: (msg, fields) => pino.info(fields ?? {}, msg),
    warn: (msg, fields) => pino.warn(fields ?? {}, msg),
    error: (msg, fields) => pino.error(fields ?? {}, msg),
  };
}

/** The environment a `run` step's commands start from in the app: no secrets of the app's own. */
function runStepEnv(env: Readonly<Record<string, string | undefined>>): Record<string, string | undefined> {
  const keep = ["PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "TZ"];
  return Object.fromEntries(keep.filter((k) => env[k] !== undefined).map((k) => [k, env[k]]));
}

/**
 * Starts the app. Requires `config.appId`, `config.privateKey` and `config.webhookSecret`
 * (AppConfigError naming the missing variable). Deliveries recorded before a crash are handled
 * first; the reconciler (when enabled) asks GitHub for what failed while the app was down.
 */
export async function startApp(config: AppConfig, deps: AppDeps = {}): Promise<RunningApp> {
  if (config.appId === undefined) throw new AppConfigError("APP_ID is not set");
  if (!config.privateKey) throw new AppConfigError("PRIVATE_KEY or PRIVATE_KEY_PATH is not set");
  if (!config.webhookSecret) throw new AppConfigError("WEBHOOK_SECRET is not set");
  if (deps.app && deps.appFn) throw new TypeError("give startApp either `app` or `appFn`, not both");
  const clock = deps.clock ?? systemClock;
  // Samples go to the sample store once it is open (below, beside the journal); none is taken
  // before, as no run is active before the engine exists.
  let samples: SqliteSampleStore | undefined;
  const sampler = new ResourceSampler({
    clock,
    sink: { append: (sample) => samples?.append(sample) },
    onSinkError: (e) => log.warn("a resource sample was not stored", { error: errorMessage(e) }),
  });
  const metrics = deps.metrics ?? createMetrics({ clock, activity: sampler });

  const probot = new Probot({
    appId: config.appId,
    privateKey: config.privateKey,
    secret: config.webhookSecret,
    baseUrl: config.baseUrl,
    logLevel: config.logLevel,
    // Counts GitHub API calls and reads the rate limit left, by installation.
    Octokit: (deps.Octokit ?? ProbotOctokit).plugin(githubMetricsPlugin(metrics)) as typeof ProbotOctokit,
  });
  await probot.ready();
  const log = deps.log ?? pinoLogger(probot.log);

  const closers: (() => Promise<void>)[] = [];
  const close = async () => {
    for (const c of closers.splice(0).reverse()) {
      try {
        await c();
      } catch (e) {
        log.error("close failed", { error: e instanceof Error ? e.message : String(e) });
      }
    }
  };
  try {
    // Automatic WAL checkpoints would run inside a commit on the thread that answers webhooks: a
    // thread of their own runs them instead (see state/checkpointer.ts); if it fails, they are
    // automatic again.
    const store = createSqliteAppStore({ path: config.dbPath, autoCheckpoint: false });
    closers.push(() => store.close());
    const journal = createSqliteJournal({ path: config.dbPath });
    closers.push(() => journal.close());
    journal.db.pragma("wal_autocheckpoint = 0");
    const sampleStore = createSqliteSampleStore({ path: config.dbPath });
    closers.push(async () => sampleStore.close());
    sampleStore.db.pragma("wal_autocheckpoint = 0");
    samples = sampleStore;
    let automatic = false;
    const checkpointer = startCheckpointer({
      path: config.dbPath,
      log,
      onFailure: () => {
        if (automatic) return;
        automatic = true;
        for (const db of [store.db, journal.db, sampleStore.db]) if (db.open) db.pragma(AUTOCHECKPOINT);
      },
    });
    closers.push(() => checkpointer.stop());
    // After the engine stops (closers run in reverse): a last sample if runs were active.
    closers.push(async () => sampler.stop());
    const engine = createEngine({
      journal,
      clock,
      logger: log,
      owner: appOwnerId(),
      isOwnerAlive: isAppOwnerAlive,
      workDir: join(tmpdir(), "stageflow-app"),
      env: config.env,
      // One installation's GitHub outage opens no circuit breaker for another's runs.
      breakerScope: installationScope,
    });
    closers.push(() => engine.close());
    // Metrics: the journal's history first (afterSeq 0), so a restarted app keeps its counters.
    const metricsFeed = metrics.follow(engine, journal, { afterSeq: 0 });
    closers.push(async () => metricsFeed.close());
    if (deps.metrics) {
      // Metrics made elsewhere do not tell the sampler: it follows the engine itself.
      const following = engine.on(sampler.listener);
      closers.push(async () => following.close());
    }
    const steps = builtinSteps(
      config.allowRunSteps ? { run: { cwd: process.cwd(), env: runStepEnv(config.env) } } : {},
    );
    for (const [kind, handler] of Object.entries(steps)) engine.register(kind, handler);
    const services: AppServices = { config, engine, store, probot, clock, log };

    // stageflow's own app unless a test gives another app or handler: kinds, handlers, reporter,
    // restart catch-up.
    const stageflow =
      deps.appFn || deps.app || deps.handle
        ? undefined
        : await createStageflowAppOn(services, deps.stageflow);
    const appFn = deps.appFn ?? (deps.app ? await deps.app(services) : stageflow?.appFn);
    if (appFn) await probot.load(appFn);
    if (stageflow) {
      metrics.setTemplateCacheSource(() => stageflow.handlers.renderer.stats());
      closers.push(() => stageflow.stop());
      await stageflow.start();
    }

    const handle =
      deps.handle ??
      (async (entry: InboxEntry) => {
        await probot.receive({
          id: entry.id,
          name: entry.name,
          payload: JSON.parse(entry.payload),
        } as Parameters<Probot["receive"]>[0]);
        return "done" as const;
      });
    const worker = createInboxWorker({
      store,
      clock,
      log,
      concurrency: deps.concurrency,
      beforeHandle: deps.beforeHandle,
      handle: async (entry) => {
        try {
          const outcome = await handle(entry, services);
          metrics.webhookHandled(entry.name, outcome);
          return outcome;
        } catch (e) {
          metrics.webhookHandled(entry.name, "failed");
          throw e;
        }
      },
    });
    closers.push(() => worker.stop());
    metrics.setInboxSource(async () => ({ ...(await store.inboxStats()), retrying: worker.retrying() }));

    // /health, /health/live, /health/ready and /sla (see docs/operations.md).
    const health = createAppHealth({
      journal,
      path: config.dbPath,
      clock,
      inbox: store,
      githubPing: async () => (await probot.auth()).request("GET /app"),
    });
    closers.push(async () => health.stop());
    const sla = () => slaReport({ journal, clock, healthHistory: (since) => health.registry.history(since) });

    // Alerts (docs/configuration.md "Alerts"): the built-in rules on the app's metrics, evaluated
    // every minute, when a channel is configured by the environment.
    const alertsConfig = loadAlertsConfig({ env: config.env });
    if (Object.keys(alertsConfig.channels).length > 0) {
      const { manager } = createAlerting({
        config: alertsConfig,
        // The reader's baseline is taken once the replayed history is in the counters (what
        // happened before this process started is in no alert window), without holding up the start.
        read: registryReader(metrics.registry, {
          clock,
          collect: () => metrics.collect(),
          after: metricsFeed.idle(),
        }),
        costs: journalCostReader(journal),
        clock,
        logger: log,
      });
      const stopAlerts = manager.start(ALERT_EVALUATION_MS);
      // Aborts the deliveries under way (a channel waiting out a rate limit) and waits for them.
      closers.push(stopAlerts);
    }
    const server = createIntakeServer({
      secret: config.webhookSecret,
      store: {
        recordDelivery: async (delivery) => {
          const recorded = await store.recordDelivery(delivery);
          metrics.webhookReceived(delivery.name, recorded ? "recorded" : "redelivered");
          return recorded;
        },
      },
      path: config.webhookPath,
      clock,
      log,
      onRecorded: worker.kick,
      routes: chainRoutes(metricsRoute(metrics), healthRoutes({ health: health.registry, sla }), deps.routes),
    });
    const { port } = await server.listen(config.port, config.host);
    closers.push(() => server.close());
    log.info("stageflow app listening", { port, path: config.webhookPath, db: config.dbPath });

    if (config.reconcile.enabled) {
      const reconciler: Reconciler = startReconciler({
        appClient: await probot.auth(),
        store,
        clock,
        log,
        intervalMs: config.reconcile.intervalMs,
      });
      closers.push(() => reconciler.stop());
    }
    return { port, probot, engine, store, worker, metrics, sampler, stageflow, close };
  } catch (e) {
    await close();
    throw e;
  }
}

/** What to print when the app is not registered yet. */
export function setupMessage(port: number): string {
  return [
    "stageflow: no APP_ID is set, so the GitHub App is not registered yet.",
    `Starting Probot's set-up: open http://localhost:${port}/probot and follow the steps to register`,
    "an app from app.yml (its events and permissions); Probot writes APP_ID, PRIVATE_KEY and",
    "WEBHOOK_SECRET to .env. Then restart with `npm run app`.",
    "By hand instead: create an app with the events and permissions of app.yml at",
    "https://github.com/settings/apps/new, download its private key, and set APP_ID,",
    "PRIVATE_KEY_PATH and WEBHOOK_SECRET (see README: the GitHub App).",
  ].join("\n");
}

/**
 * The variables of `.env` in `cwd` (where Probot's set-up flow writes APP_ID, PRIVATE_KEY and
 * WEBHOOK_SECRET) under those of `env`, which win. No file: `env` as it is.
 */
export function withDotEnv(env: NodeJS.ProcessEnv, cwd: string): NodeJS.ProcessEnv {
  let text: string;
  try {
    text = readFileSync(join(cwd, ".env"), "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return env;
    throw new AppConfigError(`cannot read ${join(cwd, ".env")}: ${(e as Error).message}`);
  }
  return { ...parseEnv(text), ...env };
}

/**
 * The process entry: reads the environment (and `.env`), starts the app (or, with no APP_ID,
 * Probot's manifest set-up flow, as a Probot app does; in production it exits 1 instead), and
 * stops it on SIGINT/SIGTERM. Resolves with the exit code when it stopped.
 */
export async function runApp(
  processEnv: NodeJS.ProcessEnv = process.env,
  cwd = process.cwd(),
): Promise<number> {
  let config: AppConfig;
  let env: NodeJS.ProcessEnv;
  try {
    env = withDotEnv(processEnv, cwd);
    config = readAppConfig(env, { cwd });
  } catch (e) {
    process.stderr.write(`stageflow app: ${(e as Error).message}\n`);
    return 1;
  }
  if (config.appId === undefined || !config.privateKey) {
    process.stderr.write(`${setupMessage(config.port)}\n`);
    if (env.NODE_ENV === "production") {
      process.stderr.write(
        "NODE_ENV is production: not starting the set-up page; set APP_ID and PRIVATE_KEY.\n",
      );
      return 1;
    }
    const setup = await probotRun(() => {}, { env });
    return waitForSignal(() => setup.stop());
  }
  try {
    const app = await startApp(config);
    return waitForSignal(() => app.close());
  } catch (e) {
    process.stderr.write(`stageflow app: ${(e as Error).message}\n`);
    return 1;
  }
}

function waitForSignal(stop: () => Promise<void>): Promise<number> {
  return new Promise((resolve) => {
    const onSignal = () => {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
      stop().then(
        () => resolve(0),
        () => resolve(1),
      );
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  });
}
