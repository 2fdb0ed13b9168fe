/**
 * Masking by value: the values a run declares secret (inputs with `secret: true`, environment
 * variables listed under `secrets:`) are replaced by `***` wherever they appear in text, also in
 * the forms a step is likely to print them in (JSON-escaped, URL-encoded, base64, each line of
 * a multi-line value).
 */
import type { Logger } from "../ports.js";
import { MASK } from "./patterns.js";

/**
 * Values shorter than this are not masked: a secret of 1–3 characters would turn every
 * occurrence of, say, `1` or `abc` in unrelated text into `***` (GitHub Actions has the same
 * caveat). Choose secrets longer than that.
 */
export const MIN_SECRET_LENGTH = 4;

export class SecretMasker {
  private readonly pattern: RegExp | null;
  /** The length of the longest form masked (0 when there is none). */
  readonly longest: number;

  constructor(values: Iterable<string> = []) {
    const forms = new Set<string>();
    const add = (v: string) => {
      if (v.length >= MIN_SECRET_LENGTH) forms.add(v);
    };
    for (const value of values) {
      if (typeof value !== "string") continue;
      for (const v of [value, value.trim()]) {
        add(v);
        add(JSON.stringify(v).slice(1, -1));
        add(encodeURIComponent(v));
        if (v.length >= MIN_SECRET_LENGTH) add(Buffer.from(v).toString("base64").replace(/=+$/, ""));
      }
      for (const line of value.split(/\r?\n/)) add(line.trim());
    }
    const sorted = [...forms].sort((a, b) => b.length - a.length);
    this.longest = sorted[0]?.length ?? 0;
    this.pattern = sorted.length ? new RegExp(sorted.map(escape).join("|"), "g") : null;
  }

  /** Whether there is anything to mask (a run without secrets pays nothing). */
  get active(): boolean {
    return this.pattern !== null;
  }

  /** The text with every secret value replaced by `***`. */
  text(text: string): string {
    return this.pattern ? text.replace(this.pattern, MASK) : text;
  }

  /**
   * Masks the part of `text` that what may follow it cannot change, for text that arrives in
   * pieces (a stream cut where it does not end): returns that part masked, and the rest as it
   * was: the last `longest - 1` characters at most, which may be the beginning of a secret that
   * goes on in the next piece. Put `rest` in front of the next piece; mask it whole (`text`) at
   * the end. A secret that starts in `masked` is masked whole there, even when it ends in the
   * last characters: so no piece shows part of a secret.
   */
  split(text: string): { masked: string; rest: string } {
    if (!this.pattern) return { masked: text, rest: "" };
    const settled = Math.max(0, text.length - (this.longest - 1));
    let masked = "";
    let at = 0;
    // Every form is at most `longest` long: a match starting before `settled` is whole in `text`.
    for (const match of text.matchAll(this.pattern)) {
      if (match.index >= settled) break;
      masked += text.slice(at, match.index) + MASK;
      at = match.index + match[0].length;
    }
    const end = Math.max(at, settled);
    return { masked: masked + text.slice(at, end), rest: text.slice(end) };
  }

  /** A copy of `value` with every string in it (not the keys) masked. Plain JSON values only. */
  deep<T>(value: T): T {
    return this.pattern ? (this.walk(value) as T) : value;
  }

  private walk(value: unknown): unknown {
    if (typeof value === "string") return this.text(value);
    if (Array.isArray(value)) return value.map((v) => this.walk(v));
    if (value !== null && typeof value === "object") {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) out[k] = this.walk(v);
      return out;
    }
    return value;
  }
}

/** A logger that masks the values in every message and field before `logger` sees them. */
export function maskingLogger(logger: Logger, masker: SecretMasker): Logger {
  if (!masker.active) return logger;
  const wrap =
    (write: Logger["info"]): Logger["info"] =>
    (msg, fields) =>
      write(masker.text(msg), fields && masker.deep(fields));
  return {
    debug: wrap(logger.debug.bind(logger)),
    info: wrap(logger.info.bind(logger)),
    warn: wrap(logger.warn.bind(logger)),
    error: wrap(logger.error.bind(logger)),
  };
}

/** Masks nothing. */
export const NO_SECRETS = new SecretMasker();

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
