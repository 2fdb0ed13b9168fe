/**
 * A deep copy with JSON semantics (undefined properties dropped, Dates as strings, ...), so the
 * in-memory journal stores exactly what an SQLite journal would give back.
 */
export function jsonCopy<T>(value: T): T {
  return value === undefined ? value : JSON.parse(JSON.stringify(value));
}
