/**
 * Bounded label values. A metric label must take few values (each value is a time series that
 * Prometheus keeps), so every label whose values come from outside the code — workflow names from
 * repositories' files, dependencies, installations, webhook event names, step kinds — goes through
 * a BoundedLabel: the first `max` distinct values are kept as they are, every later one is
 * reported as `other`; a value that is not short, printable text is `other` from the start.
 * Enumerations of the code (run statuses, strategies, error types, outcomes) need no bound.
 */

/** The value that stands for every value past the bound. */
export const OTHER = "other";

/** Longest label value kept; longer ones are `other`. */
export const MAX_LABEL_LENGTH = 100;

/** Printable text without control characters (quotes and backslashes are escaped by prom-client). */
const PRINTABLE = /^[^\p{Cc}]+$/u;

export class BoundedLabel {
  private readonly seen = new Set<string>();

  /** `max`: distinct values kept before the rest become `other` (a positive integer). */
  constructor(
    readonly name: string,
    readonly max: number,
  ) {
    if (!Number.isInteger(max) || max < 1) {
      throw new TypeError(`the bound of label ${name} must be a positive integer, got ${String(max)}`);
    }
  }

  /** The label value to report for `value`. */
  of(value: unknown): string {
    const text = typeof value === "number" && Number.isFinite(value) ? String(value) : value;
    if (typeof text !== "string") return OTHER;
    if (this.seen.has(text)) return text;
    if (text.length === 0 || text.length > MAX_LABEL_LENGTH || !PRINTABLE.test(text)) return OTHER;
    if (this.seen.size >= this.max) return OTHER;
    this.seen.add(text);
    return text;
  }

  /** Distinct values kept so far (not counting `other`). */
  get size(): number {
    return this.seen.size;
  }
}
