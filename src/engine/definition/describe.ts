/** Short descriptions of values for messages: `string 'four'`, `number 4`, `a list`. */
export function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (value === undefined) return "nothing";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  if (typeof value === "string") return `string '${clip(value)}'`;
  return `${typeof value} ${String(value)}`;
}

/** Long text cut to its first 60 characters, so that a message stays one readable line. */
export function clip(text: string, max = 60): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length} characters)`;
}

/** `a, b and c` */
export function listText(items: readonly string[], quote = false): string {
  const shown = quote ? items.map((item) => `'${item}'`) : [...items];
  if (shown.length <= 1) return shown.join("");
  return `${shown.slice(0, -1).join(", ")} and ${shown[shown.length - 1]}`;
}

export { isRecord } from "../expressions/values.js";
