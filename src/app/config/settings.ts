/**
 * The repository's settings file, `.github/stageflow.yml`: who may start and steer runs, the
 * command prefix, whether bots may trigger, which workflows need trust. Every key is optional;
 * an absent file means DEFAULT_SETTINGS. Unknown keys are errors (a misspelt `permision` must
 * not silently leave the default in force).
 */
import { LineCounter, parseDocument } from "yaml";
import { z } from "zod";
import type { Problem } from "./problems.js";
import { nodeOffset } from "./yaml-position.js";

/** The default path of the settings file. */
export const SETTINGS_FILE = ".github/stageflow.yml";
/** The settings file is read only up to this size. */
export const MAX_SETTINGS_BYTES = 64 * 1024;

export const PERMISSIONS = ["read", "triage", "write", "maintain", "admin"] as const;
/** A repository permission, weakest first (the collaborator permission API's role names). */
export type Permission = (typeof PERMISSIONS)[number];

const TEAM = /^[A-Za-z0-9][A-Za-z0-9-]*\/[A-Za-z0-9_.-]+$/;

export const SettingsSchema = z.strictObject({
  /** The word that starts the app's own commands (`/stageflow retry`). @default "/stageflow" */
  command_prefix: z
    .string()
    .regex(/^\/[A-Za-z0-9_.-]{1,40}$/, {
      error: "must be '/' and a word of letters, digits, '_', '-' or '.'",
    })
    .default("/stageflow"),
  /** The repository permission an actor needs to start or steer a run. @default "write" */
  permission: z.enum(PERMISSIONS).default("write"),
  /** Teams (`org/slug`) whose members may act whatever their repository permission. @default [] */
  teams: z
    .array(z.string().regex(TEAM, { error: "must be 'org/team-slug'" }))
    .max(100)
    .default([]),
  /** Whether events from bots (this app included) may trigger. @default false */
  allow_bots: z.boolean().default(false),
  /** Workflows (by name, or `*` for all) a pull request from a fork may not start. @default [] */
  needs_trust: z.array(z.string().min(1)).max(1000).default([]),
});

/** The repository's settings, with every default applied. */
export type Settings = z.output<typeof SettingsSchema>;

/** The settings of a repository without `.github/stageflow.yml`. */
export const DEFAULT_SETTINGS: Readonly<Settings> = Object.freeze(SettingsSchema.parse({}));

const KEYS = Object.keys(SettingsSchema.shape) as (keyof Settings)[];

/**
 * Parses the settings file. Never throws: every problem comes back with file:line:column. A key
 * in error keeps its default and the keys that are valid are kept, so `settings` is always
 * usable; a host that must fail closed (the app does: it refuses commands while the settings
 * have problems) looks at `problems`.
 */
export function parseSettings(
  text: string,
  file = SETTINGS_FILE,
): { settings: Settings; problems: Problem[] } {
  const defaults = (): Settings => SettingsSchema.parse({});
  if (text.length > MAX_SETTINGS_BYTES) {
    const message = `the settings file has ${text.length} characters; at most ${MAX_SETTINGS_BYTES} are read`;
    return { settings: defaults(), problems: [{ file, message }] };
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number | undefined): Pick<Problem, "line" | "column"> => {
    if (offset === undefined) return {};
    const { line, col } = lines.linePos(offset);
    return { line, column: col };
  };
  if (doc.errors.length) {
    const problems = doc.errors.map((e) => ({ file, ...at(e.pos[0]), message: firstLine(e.message) }));
    return { settings: defaults(), problems };
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 10 });
  } catch (e) {
    return { settings: defaults(), problems: [{ file, message: (e as Error).message }] };
  }
  if (data === null || data === undefined) return { settings: defaults(), problems: [] };
  if (typeof data !== "object" || Array.isArray(data)) {
    const message = `the settings file must be a mapping of ${KEYS.join(", ")}`;
    return { settings: defaults(), problems: [{ file, ...at(doc.contents?.range?.[0]), message }] };
  }
  const parsed = SettingsSchema.safeParse(data);
  if (parsed.success) return { settings: parsed.data, problems: [] };
  const problems = parsed.error.issues
    .flatMap((issue) => issueProblems(issue, data))
    .map(({ path, key, message }) => ({ file, ...at(nodeOffset(doc, path, key)), message }));
  problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
  return { settings: validKeys(data as Record<string, unknown>), problems };
}

/** The keys that are valid on their own, the others at their defaults. */
function validKeys(data: Record<string, unknown>): Settings {
  const settings = SettingsSchema.parse({});
  for (const key of KEYS) {
    const field = SettingsSchema.shape[key].safeParse(data[key]);
    if (field.success) Object.assign(settings, { [key]: field.data });
  }
  return settings;
}

interface RawProblem {
  path: (string | number)[];
  /** Point at this key of the mapping at `path` rather than at the value. */
  key?: string;
  message: string;
}

function issueProblems(issue: z.core.$ZodIssue, data: unknown): RawProblem[] {
  const path = issue.path.filter((s): s is string | number => typeof s !== "symbol");
  const name = formatPath(path);
  switch (issue.code) {
    case "unrecognized_keys":
      return issue.keys.map((key) => ({
        path,
        key,
        message: `unknown key '${key}'${didYouMean(key, KEYS)} (known: ${KEYS.join(", ")})`,
      }));
    case "invalid_value":
      return [
        {
          path,
          message: `${name}: expected one of ${issue.values.join(", ")}, got ${describe(valueAt(data, path))}`,
        },
      ];
    case "invalid_type":
      return [
        {
          path,
          message: `${name}: expected ${expected(issue.expected)}, got ${describe(valueAt(data, path))}`,
        },
      ];
    case "invalid_format":
      return [{ path, message: `${name}: ${issue.message}, got ${describe(valueAt(data, path))}` }];
    default:
      return [{ path, message: `${name}: ${issue.message}` }];
  }
}

const EXPECTED: Record<string, string> = {
  string: "a string",
  boolean: "a boolean (true or false)",
  array: "a list",
  object: "a mapping",
};
const expected = (type: string): string => EXPECTED[type] ?? type;

function describe(value: unknown): string {
  if (value === null || value === undefined) return "nothing";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  if (typeof value === "string") return `string '${value.length > 60 ? `${value.slice(0, 60)}…` : value}'`;
  return `${typeof value} ${String(value)}`;
}

function valueAt(data: unknown, path: readonly (string | number)[]): unknown {
  let value = data;
  for (const segment of path) {
    if (value === null || typeof value !== "object") return undefined;
    value = (value as Record<string | number, unknown>)[segment];
  }
  return value;
}

function formatPath(path: readonly (string | number)[]): string {
  return path.map((s, i) => (typeof s === "number" ? `[${s}]` : i ? `.${s}` : s)).join("") || "(root)";
}

/** ` (did you mean 'x'?)` for a key within a small edit distance, or a case-only difference. */
function didYouMean(word: string, known: readonly string[]): string {
  const lower = word.toLowerCase();
  const best = known
    .map((k) => ({ k, d: distance(lower, k) }))
    .sort((a, b) => a.d - b.d)
    .find(({ d }) => d <= Math.max(1, Math.floor(word.length / 3)));
  return best ? ` (did you mean '${best.k}'?)` : "";
}

function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(
        (prev[j] ?? 0) + 1,
        (row[j - 1] ?? 0) + 1,
        (prev[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    prev = row;
  }
  return prev[b.length] ?? 0;
}

function firstLine(message: string): string {
  return message.split("\n")[0] ?? message;
}
