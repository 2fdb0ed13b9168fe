/**
 * The name and triggers of a workflow file that does not validate, read from its raw YAML as far
 * as they can be: so that `/deploy` aimed at a broken deploy.yml gets its problems as an answer.
 */
import { parse } from "yaml";

export interface Triggers {
  name?: string;
  labels: string[];
  /** Lower case, without `/`. */
  commands: string[];
}

/** Never throws: what cannot be read is left out. */
export function triggersOf(text: string): Triggers {
  let data: unknown;
  try {
    data = parse(text, { maxAliasCount: 100, uniqueKeys: false, logLevel: "silent" });
  } catch {
    return { labels: [], commands: [] };
  }
  const record = (value: unknown): Record<string, unknown> =>
    value !== null && typeof value === "object" && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : {};
  const strings = (value: unknown): string[] =>
    Array.isArray(value) ? value.filter((v): v is string => typeof v === "string").slice(0, 100) : [];
  const root = record(data);
  const on = record(root.on);
  const triggers: Triggers = {
    labels: strings(on.labels),
    commands: strings(on.commands).map((c) => c.replace(/^\//, "").toLowerCase()),
  };
  if (typeof root.name === "string") triggers.name = root.name;
  return triggers;
}
