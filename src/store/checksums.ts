import { checkpointChecksum } from "../engine/canonical.js";
import type { CheckpointRecord } from "../engine/journal.js";

/** A stored checkpoint whose content cannot be parsed. */
export interface UnreadableCheckpoint {
  runId: string;
  stepId: string;
  unreadable: string;
}

/**
 * One problem per checkpoint whose stored checksum does not match its content (or that cannot be
 * read at all), naming its run and step. Shared by every Journal's verify().
 */
export function checksumProblems(checkpoints: Iterable<CheckpointRecord | UnreadableCheckpoint>): string[] {
  const problems: string[] = [];
  for (const c of checkpoints) {
    if ("unreadable" in c) {
      problems.push(`checkpoint of run '${c.runId}' step '${c.stepId}': unreadable (${c.unreadable})`);
      continue;
    }
    const computed = checkpointChecksum(c);
    if (computed !== c.checksum) {
      problems.push(
        `checkpoint of run '${c.runId}' step '${c.stepId}': checksum mismatch ` +
          `(stored ${c.checksum}, computed ${computed}); the checkpoint was changed outside stageflow`,
      );
    }
  }
  return problems;
}
