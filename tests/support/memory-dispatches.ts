/** A DispatchRegistry in memory, for tests of the `dispatch` kind and of hosts that feed it. */
import type { DispatchRecord, DispatchRegistry } from "../../src/steps/github/dispatch-registry.js";

export class MemoryDispatches implements DispatchRegistry {
  readonly records = new Map<string, DispatchRecord>();
  /** How many times `put` was called (a dispatch that happened twice shows here). */
  puts = 0;

  async get(key: string): Promise<DispatchRecord | undefined> {
    const record = this.records.get(key);
    return record ? { ...record } : undefined;
  }

  async put(record: DispatchRecord): Promise<void> {
    this.puts++;
    this.records.set(record.key, { ...record });
  }

  async byWorkflowRun(workflowRunId: number): Promise<DispatchRecord[]> {
    return [...this.records.values()].filter((r) => r.workflowRunId === workflowRunId).map((r) => ({ ...r }));
  }

  async waiting(): Promise<DispatchRecord[]> {
    return [...this.records.values()].filter((r) => r.status === "waiting").map((r) => ({ ...r }));
  }

  async complete(key: string): Promise<void> {
    const record = this.records.get(key);
    if (record) record.status = "completed";
  }
}
