import { ExpressionError } from "./ast.js";
import { evaluateExpression, type Scope } from "./evaluate.js";
import { isRecord, toText } from "./values.js";

export type TemplatePart =
  | { type: "literal"; value: string }
  /** `text` is the trimmed expression; `offset` is where it starts in the template. */
  | { type: "expression"; text: string; offset: number };

/**
 * Splits `a ${{ x }} b` into literal and expression parts. A `}}` inside a quoted string of the
 * expression does not close it. Throws ExpressionError when a `${{` has no `}}`.
 */
export function templateParts(template: string): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let from = 0;
  for (;;) {
    const open = template.indexOf("${{", from);
    if (open < 0) break;
    const close = findClose(template, open + 3);
    if (close < 0) throw new ExpressionError("missing '}}' to close '${{'", open);
    if (open > from) parts.push({ type: "literal", value: template.slice(from, open) });
    const raw = template.slice(open + 3, close);
    const lead = raw.length - raw.trimStart().length;
    parts.push({ type: "expression", text: raw.trim(), offset: open + 3 + lead });
    from = close + 2;
  }
  if (from < template.length) parts.push({ type: "literal", value: template.slice(from) });
  return parts;
}

function findClose(text: string, start: number): number {
  let quoted = false;
  for (let i = start; i < text.length; i++) {
    if (text[i] === "'") quoted = !quoted;
    else if (!quoted && text.startsWith("}}", i)) return i;
  }
  return -1;
}

/** True when `value` is a string holding at least one `${{`. */
export function hasExpression(value: string): boolean {
  return value.includes("${{");
}

/**
 * Resolves `${{ }}` in every string of `value` (deep over arrays and plain objects). A string
 * that is exactly one `${{ expr }}` yields the expression's raw value (number, boolean, object);
 * any other string is the concatenation, with null shown as ''.
 */
export function interpolate(value: unknown, scope: Scope): unknown {
  if (typeof value === "string") return interpolateString(value, scope);
  if (Array.isArray(value)) return value.map((item) => interpolate(item, scope));
  if (isRecord(value)) {
    // A plain loop: this runs for every step's config and `with` on every attempt.
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value)) {
      const item = interpolate(value[key], scope);
      if (key === "__proto__")
        Object.defineProperty(out, key, {
          value: item,
          enumerable: true,
          writable: true,
          configurable: true,
        });
      else out[key] = item;
    }
    return out;
  }
  return value;
}

function interpolateString(template: string, scope: Scope): unknown {
  if (!hasExpression(template)) return template;
  const parts = templateParts(template);
  const [only] = parts;
  if (parts.length === 1 && only?.type === "expression") return evaluateExpression(only.text, scope);
  return parts
    .map((part) => (part.type === "literal" ? part.value : toText(evaluateExpression(part.text, scope))))
    .join("");
}
