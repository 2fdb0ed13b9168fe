import type { Journal, NewStepLogLine } from "../journal.js";
import { type Clock, type Logger, startTimer } from "../ports.js";
import { maskText, type SecretMasker } from "../secrets/index.js";

/**
 * How much of a step's output is kept, per attempt: the first HEAD_CHARS and the last
 * TAIL_CHARS characters of it (stdout and stderr together, by whole lines; an empty line counts
 * as one character, so that a flood of empty lines is bounded too); what lies between
 * is replaced by one `note` line saying how much was left out. A line longer than
 * MAX_LINE_CHARS (once masked) is clipped. Documented in docs/cli.md (`stageflow logs`).
 */
export const STEP_LOG_LIMITS = { HEAD_CHARS: 32 * 1024, TAIL_CHARS: 32 * 1024, MAX_LINE_CHARS: 4096 };
/** Lines are written in batches: at this many, or this long after the first unwritten one. */
const FLUSH_LINES = 200;
const FLUSH_MS = 500;

interface AttemptLog {
  head: number;
  tail: NewStepLogLine[];
  tailChars: number;
  droppedLines: number;
  droppedChars: number;
}

/** Where a run's step output goes (the journal), and how it is masked. */
export interface StepLogsOptions {
  journal: Journal;
  clock: Clock;
  logger: Logger;
  runId: string;
  masker: SecretMasker;
}

/**
 * One run's step output on its way to the journal: masked (the run's secret values and
 * token-shaped text) before it is stored, bounded per attempt, written in batches so a
 * follower (`stageflow logs --follow`) sees it while the step runs.
 */
export class StepLogs {
  private readonly attempts = new Map<string, AttemptLog>();
  private pending: NewStepLogLine[] = [];
  private cancelTimer: (() => void) | null = null;

  private readonly journal: Journal;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly runId: string;
  private readonly masker: SecretMasker;

  constructor(options: StepLogsOptions) {
    ({
      journal: this.journal,
      clock: this.clock,
      logger: this.logger,
      runId: this.runId,
      masker: this.masker,
    } = options);
  }

  /** A line a step printed. */
  line(stepId: string, attempt: number, stream: "stdout" | "stderr", raw: string): void {
    const key = `${stepId}\n${attempt}`;
    let log = this.attempts.get(key);
    if (!log)
      this.attempts.set(key, (log = { head: 0, tail: [], tailChars: 0, droppedLines: 0, droppedChars: 0 }));
    const { MAX_LINE_CHARS, HEAD_CHARS, TAIL_CHARS } = STEP_LOG_LIMITS;
    // Masked before it is clipped: a clip through a secret would leave a part that masking misses.
    const masked = maskText(raw, this.masker);
    const text =
      masked.length > MAX_LINE_CHARS ? `${masked.slice(0, MAX_LINE_CHARS)} … [line clipped]` : masked;
    const entry: NewStepLogLine = { runId: this.runId, stepId, attempt, stream, at: this.clock.now(), text };
    const size = sizeOf(text);
    if (log.tail.length === 0 && log.head + size <= HEAD_CHARS) {
      log.head += size;
      this.pending.push(entry);
      this.schedule();
      return;
    }
    log.tail.push(entry);
    log.tailChars += size;
    while (log.tailChars > TAIL_CHARS && log.tail.length > 1) {
      const dropped = log.tail.shift() as NewStepLogLine;
      log.tailChars -= sizeOf(dropped.text);
      log.droppedLines++;
      log.droppedChars += dropped.text.length;
    }
  }

  /** The attempt ended: its kept tail (after a note of what was left out) is written. */
  end(stepId: string, attempt: number): void {
    const key = `${stepId}\n${attempt}`;
    const log = this.attempts.get(key);
    if (!log) return;
    this.attempts.delete(key);
    if (log.droppedLines > 0) {
      const kb = (n: number) => `${Math.round(n / 1024)} KiB`;
      this.pending.push({
        runId: this.runId,
        stepId,
        attempt,
        stream: "note",
        at: this.clock.now(),
        text:
          `… ${log.droppedLines} line(s), ${log.droppedChars} characters not kept ` +
          `(a step attempt keeps the first ${kb(STEP_LOG_LIMITS.HEAD_CHARS)} and the last ${kb(STEP_LOG_LIMITS.TAIL_CHARS)}) …`,
      });
    }
    for (const line of log.tail) this.pending.push(line);
    this.flush();
  }

  /** Writes what is pending (in order with the run's other writes). */
  flush(): void {
    this.cancelTimer?.();
    this.cancelTimer = null;
    if (this.pending.length === 0) return;
    const lines = this.pending;
    this.pending = [];
    this.journal.appendStepLog(lines).catch((error) => {
      // A closed journal (the process is stopping) or a storage fault: the output is not kept.
      this.logger.debug("could not store step output", { runId: this.runId, error: String(error) });
    });
  }

  private schedule(): void {
    if (this.pending.length >= FLUSH_LINES) this.flush();
    else this.cancelTimer ??= startTimer(this.clock, FLUSH_MS, () => this.flush());
  }
}

/** What a line counts against the limits: its characters, and at least one. */
const sizeOf = (text: string) => text.length || 1;
