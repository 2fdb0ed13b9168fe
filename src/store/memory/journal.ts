import type { EventRecord, NewEvent } from "../../engine/events.js";
import type * as J from "../../engine/journal.js";
import { TERMINAL_RUN_STATUSES } from "../../engine/journal.js";
import { checksumProblems } from "../checksums.js";
import { closedJournal, duplicate, unknownAttempt, unknownRun } from "../errors.js";
import { checkedEventQuery } from "../event-query.js";
import { acquire } from "../lease.js";
import { jsonCopy } from "./copy.js";
import { EventLog } from "./event-log.js";

/**
 * The Journal in memory, with the SQLite journal's semantics (the conformance suite runs against
 * both): each write validates everything first, then applies it, so a failing write changes
 * nothing. Stored values are copies; reads return copies. Nothing survives the process.
 */
export class MemoryJournal implements J.Journal {
  private readonly runs = new Map<string, J.RunRecord>();
  /** Run ids by key: a key names one run (the SQLite journal's unique index). */
  private readonly keys = new Map<string, string>();
  private readonly attempts = new Map<string, J.AttemptRecord>();
  private readonly checkpoints = new Map<string, Map<string, J.CheckpointRecord>>();
  private readonly events = new EventLog();
  private readonly breakers = new Map<string, J.BreakerSnapshot>();
  private stepLog: J.StepLogLine[] = [];
  private stepLogSeq = 0;
  /** By `run\0step\0attempt`, in the order first recorded. */
  private readonly processes = new Map<string, J.ProcessRecord>();
  private readonly signals: J.SignalRecord[] = [];
  private signalSeq = 0;
  /** By `run\0key`. */
  private readonly deadlines = new Map<string, number>();
  private readonly wakes = new Map<string, J.RunWake>();
  private closed = false;

  private readonly exists = (runId: string): boolean => this.runs.has(runId);

  private open(): void {
    if (this.closed) throw closedJournal(":memory:");
  }
  private run(runId: string): J.RunRecord {
    this.open();
    const run = this.runs.get(runId);
    if (!run) throw unknownRun(runId);
    return run;
  }
  private appendAfter(events: NewEvent[], apply: () => void, alsoExists?: string): void {
    const prepared = this.events.prepare(events, (id) => id === alsoExists || this.exists(id));
    apply();
    this.events.commit(prepared);
  }

  async createRun(run: J.NewRun, events: NewEvent[]): Promise<J.CreateRunOutcome> {
    this.open();
    if (this.runs.has(run.id)) throw duplicate(`run '${run.id}'`);
    const key = run.key ?? null;
    const existing = key === null ? undefined : this.keys.get(key);
    if (existing !== undefined) return { created: false, reason: "duplicate_key", existing };
    const record: J.RunRecord = {
      ...jsonCopy({
        definition: run.definition,
        trigger: run.trigger,
        inputs: run.inputs,
        metadata: run.metadata ?? {},
      }),
      key,
      id: run.id,
      workflow: run.workflow,
      definitionHash: run.definitionHash,
      source: run.source ?? null,
      correlationId: run.correlationId,
      status: "running",
      reason: null,
      error: null,
      leaseOwner: run.lease.owner,
      leaseExpiresAt: run.lease.expiresAt,
      cancelRequested: false,
      createdAt: run.createdAt,
      updatedAt: run.createdAt,
      finishedAt: null,
    };
    this.appendAfter(
      events,
      () => {
        this.runs.set(run.id, record);
        if (key !== null) this.keys.set(key, run.id);
      },
      run.id,
    );
    return { created: true };
  }
  async getRun(runId: string): Promise<J.RunRecord | undefined> {
    this.open();
    return structuredClone(this.runs.get(runId));
  }
  async listRuns(q: J.RunQuery = {}): Promise<J.RunRecord[]> {
    this.open();
    const found = [...this.runs.values()]
      .filter(
        (r) =>
          (!q.status || q.status.includes(r.status)) &&
          (!q.workflow || r.workflow === q.workflow) &&
          (q.createdSince === undefined || r.createdAt >= q.createdSince) &&
          (q.key === undefined || r.key === q.key) &&
          (!q.metadata || metadataMatches(r.metadata, q.metadata)),
      )
      .reverse()
      .sort((a, b) => b.createdAt - a.createdAt);
    return structuredClone(q.limit === undefined ? found : found.slice(0, Math.max(0, q.limit)));
  }

  async deleteRun(runId: string): Promise<boolean> {
    this.open();
    const run = this.runs.get(runId);
    if (!run || !TERMINAL_RUN_STATUSES.includes(run.status)) return false;
    this.runs.delete(runId);
    if (run.key !== null) this.keys.delete(run.key);
    for (const [key, a] of this.attempts) if (a.runId === runId) this.attempts.delete(key);
    this.checkpoints.delete(runId);
    for (const [key, p] of this.processes) if (p.runId === runId) this.processes.delete(key);
    this.events.deleteRun(runId);
    this.stepLog = this.stepLog.filter((l) => l.runId !== runId);
    for (let i = this.signals.length - 1; i >= 0; i--)
      if (this.signals[i]?.runId === runId) this.signals.splice(i, 1);
    for (const key of this.deadlines.keys()) if (key.startsWith(`${runId}\0`)) this.deadlines.delete(key);
    this.wakes.delete(runId);
    return true;
  }

  async acquireLease(
    runId: string,
    owner: string,
    expiresAt: number,
    now: number,
    options: { takeOverFrom?: string } = {},
  ): Promise<J.LeaseOutcome> {
    const run = this.run(runId);
    return acquire(run, { owner, expiresAt, now, takeOverFrom: options.takeOverFrom }, (o, e) => {
      Object.assign(run, { leaseOwner: o, leaseExpiresAt: e });
    });
  }
  async leaseStates(runIds: readonly string[]): Promise<J.LeaseState[]> {
    this.open();
    return runIds.flatMap((runId) => {
      const run = this.runs.get(runId);
      if (!run) return [];
      const { leaseOwner, leaseExpiresAt, cancelRequested } = run;
      return [{ runId, leaseOwner, leaseExpiresAt, cancelRequested }];
    });
  }
  async renewLease(runId: string, owner: string, expiresAt: number) {
    const run = this.run(runId);
    const held = run.leaseOwner === owner;
    if (held) run.leaseExpiresAt = expiresAt;
    return { held, cancelRequested: run.cancelRequested };
  }
  async releaseLease(runId: string, owner: string): Promise<void> {
    const run = this.run(runId);
    if (run.leaseOwner === owner) Object.assign(run, { leaseOwner: null, leaseExpiresAt: null });
  }

  async updateRun(runId: string, patch: J.RunPatch, events: NewEvent[]): Promise<void> {
    const run = this.run(runId);
    this.appendAfter(events, () => {
      if (patch.status !== undefined) run.status = patch.status;
      if (patch.reason !== undefined) run.reason = patch.reason;
      if (patch.error !== undefined) run.error = jsonCopy(patch.error);
      if (patch.finishedAt !== undefined) run.finishedAt = patch.finishedAt;
      run.updatedAt = patch.updatedAt;
      if (patch.status !== undefined && patch.status !== "waiting") this.wakes.delete(runId);
      else if (patch.wake === null) this.wakes.delete(runId);
      else if (patch.wake !== undefined) this.wakes.set(runId, jsonCopy(patch.wake));
      if (patch.releaseLeaseOf !== undefined && run.leaseOwner === patch.releaseLeaseOf) {
        run.leaseOwner = null;
        run.leaseExpiresAt = null;
      }
    });
  }
  async requestCancel(runId: string, events: NewEvent[]): Promise<void> {
    const run = this.run(runId);
    this.appendAfter(events, () => {
      run.cancelRequested = true;
    });
  }

  async startAttempt(a: J.AttemptStart, events: NewEvent[]): Promise<void> {
    this.run(a.runId);
    const key = `${a.runId}\0${a.stepId}\0${a.attempt}`;
    if (this.attempts.has(key))
      throw duplicate(`attempt ${a.attempt} of step '${a.stepId}' in run '${a.runId}'`);
    const record: J.AttemptRecord = {
      runId: a.runId,
      stageId: a.stageId,
      stepId: a.stepId,
      attempt: a.attempt,
      status: "running",
      reason: null,
      startedAt: a.startedAt,
      finishedAt: null,
      outputs: null,
      error: null,
      decision: null,
    };
    this.appendAfter(events, () => this.attempts.set(key, record));
  }
  async finishAttempt(a: J.AttemptFinish, cp: J.NewCheckpoint | null, events: NewEvent[]): Promise<void> {
    this.open();
    const record = this.attempts.get(`${a.runId}\0${a.stepId}\0${a.attempt}`);
    if (!record) throw unknownAttempt(a.runId, a.stepId, a.attempt);
    if (cp) this.run(cp.runId);
    this.appendAfter(events, () => {
      Object.assign(record, {
        status: a.status,
        reason: a.reason,
        finishedAt: a.finishedAt,
        outputs: jsonCopy(a.outputs) ?? null,
        error: jsonCopy(a.error) ?? null,
        decision: a.decision ?? null,
      });
      if (cp) this.storeCheckpoint(cp);
    });
  }
  async putCheckpoint(cp: J.NewCheckpoint, events: NewEvent[]): Promise<void> {
    this.run(cp.runId);
    this.appendAfter(events, () => this.storeCheckpoint(cp));
  }
  private storeCheckpoint(cp: J.NewCheckpoint): void {
    const byStep = this.checkpoints.get(cp.runId) ?? new Map<string, J.CheckpointRecord>();
    this.checkpoints.set(cp.runId, byStep);
    byStep.set(cp.stepId, jsonCopy(cp));
  }
  async replaceDefinition(runId: string, r: J.DefinitionReplacement, events: NewEvent[]): Promise<void> {
    const run = this.run(runId);
    this.appendAfter(events, () => {
      Object.assign(run, {
        workflow: r.workflow,
        definition: jsonCopy(r.definition),
        definitionHash: r.definitionHash,
        inputs: jsonCopy(r.inputs),
        updatedAt: r.updatedAt,
      });
      for (const stepId of r.dropCheckpoints) this.checkpoints.get(runId)?.delete(stepId);
    });
  }
  async clearFailedCheckpoints(runId: string): Promise<void> {
    this.run(runId);
    const byStep = this.checkpoints.get(runId);
    for (const [stepId, cp] of byStep ?? []) if (cp.status !== "succeeded") byStep?.delete(stepId);
  }
  async appendEvents(events: NewEvent[]): Promise<void> {
    this.open();
    this.appendAfter(events, () => {});
  }

  async recordProcess(p: J.ProcessRecord): Promise<void> {
    this.run(p.runId);
    this.processes.set(
      `${p.runId}\0${p.stepId}\0${p.attempt}`,
      jsonCopy({ ...p, process: p.process ?? null }),
    );
  }
  async listProcesses(runId: string): Promise<J.ProcessRecord[]> {
    this.open();
    return structuredClone([...this.processes.values()].filter((p) => p.runId === runId));
  }

  async recordSignal(signal: J.NewSignal, events: NewEvent[]): Promise<J.SignalRecord> {
    this.run(signal.runId);
    const record: J.SignalRecord = {
      ...jsonCopy({ ...signal, payload: signal.payload ?? null }),
      seq: this.signalSeq + 1,
      consumedBy: null,
      consumedAt: null,
    };
    this.appendAfter(events, () => {
      this.signalSeq++;
      this.signals.push(record);
    });
    return structuredClone(record);
  }
  async listSignals(runId: string): Promise<J.SignalRecord[]> {
    this.open();
    return structuredClone(this.signals.filter((s) => s.runId === runId));
  }
  async consumeSignal(
    runId: string,
    name: string,
    consumer: string,
    at: number,
  ): Promise<J.SignalRecord | undefined> {
    this.open();
    const mine = (s: J.SignalRecord) => s.runId === runId && s.name === name;
    const found =
      this.signals.find((s) => mine(s) && s.consumedBy === consumer) ??
      this.signals.find((s) => mine(s) && s.consumedBy === null);
    if (!found) return undefined;
    if (found.consumedBy === null) Object.assign(found, { consumedBy: consumer, consumedAt: at });
    return structuredClone(found);
  }
  async fixDeadline(runId: string, key: string, deadline: number): Promise<number> {
    this.run(runId);
    const k = `${runId}\0${key}`;
    const fixed = this.deadlines.get(k) ?? deadline;
    this.deadlines.set(k, fixed);
    return fixed;
  }
  async listParked(): Promise<J.ParkedRun[]> {
    this.open();
    return [...this.wakes]
      .filter(([runId]) => this.runs.get(runId)?.status === "waiting")
      .map(([runId, wake]) => ({ runId, wake: structuredClone(wake) }));
  }

  async listAttempts(runId: string): Promise<J.AttemptRecord[]> {
    this.open();
    return structuredClone([...this.attempts.values()].filter((a) => a.runId === runId));
  }
  async listCheckpoints(runId: string): Promise<J.CheckpointRecord[]> {
    this.open();
    return structuredClone([...(this.checkpoints.get(runId)?.values() ?? [])]);
  }
  async listEvents(runId: string, afterSeq?: number): Promise<EventRecord[]> {
    this.open();
    return this.events.list(runId, afterSeq);
  }
  async lastEventSeq(): Promise<number> {
    this.open();
    return this.events.last();
  }
  async listEventsAfter(afterSeq: number, query?: J.EventQuery): Promise<EventRecord[]> {
    this.open();
    return this.events.after(afterSeq, checkedEventQuery(query));
  }

  async appendStepLog(lines: J.NewStepLogLine[]): Promise<void> {
    this.open();
    for (const line of lines) if (!this.exists(line.runId)) throw unknownRun(line.runId);
    for (const line of lines) this.stepLog.push({ ...jsonCopy(line), seq: ++this.stepLogSeq });
  }
  async listStepLog(runId: string, q: J.StepLogQuery = {}): Promise<J.StepLogLine[]> {
    this.open();
    const after = q.afterSeq ?? 0;
    return structuredClone(
      this.stepLog.filter(
        (l) => l.runId === runId && l.seq > after && (q.stepId === undefined || l.stepId === q.stepId),
      ),
    );
  }

  async saveBreaker(dependency: string, state: J.BreakerSnapshot): Promise<void> {
    this.open();
    this.breakers.set(dependency, jsonCopy(state));
  }
  async loadBreakers(): Promise<Record<string, J.BreakerSnapshot>> {
    this.open();
    return structuredClone(Object.fromEntries([...this.breakers].sort(([a], [b]) => (a < b ? -1 : 1))));
  }

  async verify(): Promise<{ ok: boolean; problems: string[] }> {
    this.open();
    const problems = checksumProblems([...this.checkpoints.values()].flatMap((m) => [...m.values()]));
    return { ok: problems.length === 0, problems };
  }
  async close(): Promise<void> {
    this.closed = true;
  }
}

/** Whether every filter key is in `metadata` with the same JSON value (scalars only, see RunQuery). */
function metadataMatches(metadata: J.RunMetadata, filter: NonNullable<J.RunQuery["metadata"]>): boolean {
  return Object.entries(filter).every(
    ([name, value]) => Object.hasOwn(metadata, name) && metadata[name] === value,
  );
}
