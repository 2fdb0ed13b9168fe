/**
 * Where the `dispatch` kind remembers the GitHub Actions workflow run it started, so that a step
 * that runs again (another attempt, a resume after a crash, a wake) waits for the same workflow
 * run instead of dispatching a second one, and so that the host can turn a
 * `workflow_run.completed` webhook (or a poll) into the signal the step waits for. The app keeps
 * it in its SQLite file (AppStore); tests may keep it in memory.
 */
export interface DispatchRecord {
  /** The step's idempotency key, `runId/stepId`. */
  key: string;
  runId: string;
  stepId: string;
  /** The signal the step waits for (`dispatch:<stepId>`); the host sends it with a DispatchResult. */
  signal: string;
  installationId: number | null;
  owner: string;
  repo: string;
  /** The workflow file or id that was dispatched, e.g. `e2e.yml`. */
  workflow: string;
  workflowRunId: number;
  /** The workflow run's page on GitHub. */
  url: string;
  status: "waiting" | "completed";
  createdAt: number;
}

/** The payload of the signal that ends a dispatch step (from the webhook or from a poll). */
export interface DispatchResult {
  workflowRunId: number;
  /** `success`, `failure`, `cancelled`, `timed_out`, ... as GitHub reports it. */
  conclusion: string;
  url: string;
  /**
   * When the workflow run started and when GitHub last updated it (its completion), as GitHub
   * gives them (`run_started_at`, `updated_at`: ISO 8601), when known: the step outputs them and
   * the cost report reads its runner minutes from them.
   */
  runStartedAt?: string | null;
  runUpdatedAt?: string | null;
}

export interface DispatchRegistry {
  get(key: string): Promise<DispatchRecord | undefined>;
  /** Records a dispatched workflow run (replaces a record with the same key). */
  put(record: DispatchRecord): Promise<void>;
  /** The records waiting for this workflow run (normally one). */
  byWorkflowRun(workflowRunId: number): Promise<DispatchRecord[]>;
  /** Every record still waiting: what the host polls as a fallback for lost webhooks. */
  waiting(): Promise<DispatchRecord[]>;
  complete(key: string): Promise<void>;
}
