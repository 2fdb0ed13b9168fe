/** The engine's own step kinds: durable waits, always registered (hosts cannot replace them). */
import type { Kinds } from "../definition/kinds.js";
import type { StepHandler } from "../handler.js";
import { signalKind } from "./signal.js";
import { waitKind } from "./wait.js";

export { signalKind, signalNameOf } from "./signal.js";
export { waitKind } from "./wait.js";

export const ENGINE_KINDS: ReadonlyMap<string, StepHandler> = new Map([
  ["wait", waitKind],
  ["signal", signalKind],
]);

/** `kinds` with the engine's kinds added (a host's kind of the same name wins, for tests' stand-ins). */
export function withEngineKinds(kinds: Kinds): Kinds {
  if ([...ENGINE_KINDS.keys()].every((k) => kinds.has(k))) return kinds;
  return new Map([...ENGINE_KINDS, ...kinds]);
}
