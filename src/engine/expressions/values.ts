/**
 * Value rules of expressions, after GitHub Actions: falsy values are false, 0, NaN, '' and null;
 * `==` and `<` compare strings case-insensitively and coerce mixed primitive types to numbers;
 * arrays and objects are equal only to themselves.
 */

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function truthy(value: unknown): boolean {
  if (value === null || value === undefined) return false;
  if (typeof value === "boolean") return value;
  if (typeof value === "number") return value !== 0 && !Number.isNaN(value);
  if (typeof value === "string") return value !== "";
  return true;
}

/** null → 0, booleans → 1/0, strings parsed ('' → 0, not a number → NaN), anything else NaN. */
export function toNumber(value: unknown): number {
  if (value === null || value === undefined) return 0;
  if (typeof value === "boolean") return value ? 1 : 0;
  if (typeof value === "number") return value;
  if (typeof value === "string") return value.trim() === "" ? 0 : Number(value.trim());
  return Number.NaN;
}

/** Text of a value in templates and functions: null → '', objects and arrays → JSON. */
export function toText(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "string") return value;
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

function isPrimitive(value: unknown): boolean {
  return value === null || value === undefined || typeof value !== "object";
}

export function looseEquals(a: unknown, b: unknown): boolean {
  const left = a ?? null;
  const right = b ?? null;
  if (!isPrimitive(left) || !isPrimitive(right)) return left === right;
  if (typeof left === "string" && typeof right === "string")
    return left.toUpperCase() === right.toUpperCase();
  if (typeof left === typeof right) return left === right;
  return toNumber(left) === toNumber(right);
}

/** `<`, `<=`, `>`, `>=`: -1, 0 or 1, or undefined when the values do not compare (NaN, objects). */
export function compare(a: unknown, b: unknown): number | undefined {
  if (!isPrimitive(a) || !isPrimitive(b)) return undefined;
  if (typeof a === "string" && typeof b === "string") {
    const x = a.toUpperCase();
    const y = b.toUpperCase();
    return x < y ? -1 : x > y ? 1 : 0;
  }
  const x = toNumber(a);
  const y = toNumber(b);
  if (Number.isNaN(x) || Number.isNaN(y)) return undefined;
  return x < y ? -1 : x > y ? 1 : 0;
}
