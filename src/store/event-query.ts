import type { EventQuery } from "../engine/journal.js";

/**
 * The query of `listEventsAfter` checked the same way by every journal here: a `limit` is a
 * positive integer (TypeError otherwise, naming the field).
 */
export function checkedEventQuery(query: EventQuery = {}): EventQuery {
  const { limit } = query;
  if (limit !== undefined && !(Number.isInteger(limit) && limit > 0)) {
    throw new TypeError(`listEventsAfter: limit must be a positive integer, got ${String(limit)}`);
  }
  return query;
}
