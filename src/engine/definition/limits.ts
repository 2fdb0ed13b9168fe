/**
 * Bounds on what a workflow file and a run's inputs may hold, so that no file (written by anyone
 * who can push to a repository) can stall or crash the engine. `validate` checks every one with
 * file:line; docs/workflow-file.md ("Limits") lists them for users.
 */
export const LIMITS = {
  /** Bytes of a workflow file (the YAML text). */
  fileBytes: 256 * 1024,
  /** Scalars, lists and mappings in a workflow, aliases expanded. */
  values: 50_000,
  /** Nesting of lists and mappings, the top level included. */
  depth: 32,
  /** YAML aliases (`*name`) in a file. */
  aliases: 100,
  /** Characters of a stage, step, input, output or recovery pattern id. */
  idLength: 64,
  /** Characters of the workflow's name. */
  nameLength: 100,
  /** Stages of a workflow. */
  stages: 100,
  /** Steps of a workflow, all stages together. */
  steps: 1_000,
  /** Steps of a parallel stage running at once (`concurrency`, and its default). */
  concurrency: 100,
  /** `max_attempts` of a retry policy or a recovery pattern. */
  attempts: 100,
  /** Any duration: timeouts, delays, `wait`. 30 days. */
  durationMs: 30 * 86_400_000,
  /** Recovery patterns of a workflow. */
  patterns: 50,
  /** Characters of a recovery pattern's `match`. */
  patternLength: 1_000,
  /** RE2 instructions of one compiled `match` (what matching costs per character of text). */
  patternSize: 1_000,
  /** RE2 instructions of all the workflow's patterns together. */
  patternsSize: 5_000,
  /** Characters of one expression (the text inside `${{ }}` or a condition). */
  expressionLength: 4_096,
  /** Nesting of an expression: parentheses, `!`, `[ ]` and function calls. */
  expressionDepth: 32,
  /** Declared inputs of a workflow. */
  inputs: 100,
  /** Characters of one input value (as text). */
  inputLength: 64 * 1024,
  /** Bytes of an inputs file (`--input-file`). */
  inputFileBytes: 1024 * 1024,
  /** Characters of a failed attempt's error message that recovery patterns search (head and tail kept). */
  errorTextLength: 16 * 1024,
} as const;

/** `262144` → `256 KiB`, `1048576` → `1 MiB`. */
export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} bytes`;
}
