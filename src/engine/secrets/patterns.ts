/**
 * What looks like a secret without being told: values of secret-named keys, and token-shaped
 * text. One module for every place that masks (the CLI's output, logs and bundles, the `http`
 * step's reports, the engine's journal writes). Pure code: no I/O.
 */

/** What a masked secret is replaced with. */
export const MASK = "***";

/** Key fragments that make a key secret wherever they occur in it (`GITHUB_TOKEN`, `x-api-key`). */
const SECRET_KEY_TEXT =
  /token|secret|passw(?:or)?d|passphrase|authorization|api[_-]?key|cookie|private[_-]?key|ssh[_-]?key|credential/i;
/** Short words that make a key secret only as a whole word of it (`auth`, `db_pwd`, `myPat`, not `author` or `path`). */
const SECRET_KEY_WORDS = new Set(["pat", "auth", "pwd"]);

/** Whether the value of a key (an input, an env variable, a header, a field) is a secret. */
export function isSecretKey(key: string): boolean {
  if (SECRET_KEY_TEXT.test(key)) return true;
  const words = key
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .toLowerCase()
    .split(/[^a-z0-9]+/);
  return words.some((w) => SECRET_KEY_WORDS.has(w));
}

/**
 * Token-shaped text, found anywhere (also inside a word: `MY_ghp_...`): GitHub tokens (classic,
 * OAuth, app, user-to-server, refresh, fine-grained), npm, Slack and AWS access keys, PEM private
 * key blocks, credentials in URLs, bearer and basic credentials.
 */
const SECRET_TEXT: ReadonlyArray<[RegExp, string]> = [
  [/gh[pousr]_[A-Za-z0-9]{16,}|github_pat_[A-Za-z0-9_]{16,}/g, MASK],
  [/npm_[A-Za-z0-9]{36}/g, MASK],
  [/xox[abprs]-[A-Za-z0-9-]{10,}/g, MASK],
  [/(?:AKIA|ASIA)[A-Z0-9]{16}/g, MASK],
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)/g, MASK],
  [/(\/\/[^/\s:@]+:)[^@\s/]+@/g, `$1${MASK}@`],
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/gi, `$1 ${MASK}`],
];

/** Masks secret-looking substrings of a text (for messages and log lines). */
export function maskPatterns(text: string): string {
  let out = text;
  for (const [pattern, replacement] of SECRET_TEXT) out = out.replace(pattern, replacement);
  return out;
}
