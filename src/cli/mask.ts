/** Keys whose values are secrets, wherever they appear (inputs, env maps, headers, config). */
export const SECRET_KEY = /token|secret|password|passwd|authorization|api[_-]?key|cookie/i;

export const MASK = "***";

/** GitHub tokens (classic, OAuth, app, user-to-server, refresh, fine-grained), credentials in URLs, bearer values. */
const SECRET_TEXT: ReadonlyArray<[RegExp, string]> = [
  [/\b(?:gh[pousr]_[A-Za-z0-9]{16,}|github_pat_[A-Za-z0-9_]{16,})/g, MASK],
  [/(\/\/[^/\s:@]+:)[^@\s/]+@/g, `$1${MASK}@`],
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/gi, `$1 ${MASK}`],
];

/** Masks secret-looking substrings of a text (for messages and log lines). */
export function maskText(text: string): string {
  return SECRET_TEXT.reduce((out, [pattern, replacement]) => out.replace(pattern, replacement), text);
}

/**
 * A deep copy of `value` with secrets masked: the value of every key that matches SECRET_KEY
 * becomes `***` (whatever its type), and token-looking text is masked in every string.
 */
export function maskSecrets<T>(value: T): T {
  return mask(value, new Set()) as T;
}

function mask(value: unknown, ancestors: Set<object>): unknown {
  if (typeof value === "string") return maskText(value);
  if (value === null || typeof value !== "object") return value;
  if (ancestors.has(value)) return "[circular]";
  ancestors.add(value);
  try {
    if (Array.isArray(value)) return value.map((item) => mask(item, ancestors));
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      const secret = SECRET_KEY.test(key) && item !== null && item !== undefined && item !== "";
      out[key] = secret ? MASK : mask(item, ancestors);
    }
    return out;
  } finally {
    ancestors.delete(value);
  }
}
