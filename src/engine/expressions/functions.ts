import { jsonSyntaxWhere } from "../json-syntax.js";
import { ExpressionError, type FunctionName } from "./ast.js";
import { looseEquals, toText } from "./values.js";

type Fn = (args: unknown[], offset: number) => unknown;

const includesText = (haystack: unknown, needle: unknown) =>
  toText(haystack).toUpperCase().includes(toText(needle).toUpperCase());

/** The built-in functions. String matching is case-insensitive, as in GitHub Actions. */
export const FUNCTIONS: Record<FunctionName, Fn> = {
  contains: ([search, item]) =>
    Array.isArray(search) ? search.some((el) => looseEquals(el, item)) : includesText(search, item),
  startsWith: ([text, prefix]) => toText(text).toUpperCase().startsWith(toText(prefix).toUpperCase()),
  endsWith: ([text, suffix]) => toText(text).toUpperCase().endsWith(toText(suffix).toUpperCase()),
  format: ([pattern, ...values], offset) => format(toText(pattern), values, offset),
  join: ([value, separator]) =>
    Array.isArray(value)
      ? value.map(toText).join(separator === undefined ? "," : toText(separator))
      : toText(value),
  toJSON: ([value]) => JSON.stringify(value ?? null, null, 2),
  fromJSON: ([text], offset) => {
    const json = toText(text);
    try {
      return JSON.parse(json) as unknown;
    } catch {
      // Not JSON.parse's message: it quotes the text, and the text may be (part of) a secret.
      const where = jsonSyntaxWhere(json);
      throw new ExpressionError(
        `fromJSON(): invalid JSON${where ? ` (${where})` : ""}`,
        offset,
        "invalid_input",
      );
    }
  },
};

/** `format('{0}-{1}', a, b)`; `{{` and `}}` stand for literal braces. */
function format(pattern: string, values: unknown[], offset: number): string {
  return pattern.replace(/\{\{|\}\}|\{(\d+)\}|[{}]/g, (match, index: string | undefined) => {
    if (match === "{{") return "{";
    if (match === "}}") return "}";
    if (index === undefined) {
      throw new ExpressionError(`format(): unmatched '${match}' in '${pattern}'`, offset, "invalid_input");
    }
    if (Number(index) >= values.length) {
      throw new ExpressionError(
        `format(): '{${index}}' has no argument (got ${values.length})`,
        offset,
        "invalid_input",
      );
    }
    return toText(values[Number(index)]);
  });
}
