/** The engine's public surface: what hosts and library users import. */
export * from "./canonical.js";
export * from "./definition/durations.js";
export type * from "./definition/plan.js";
export { createEngine } from "./engine.js";
export * from "./engine-api.js";
export * from "./errors.js";
export type * from "./events.js";
export * from "./handler.js";
export * from "./journal.js";
export * from "./ports.js";
export * from "./reasons.js";
export { buildReport } from "./report.js";
export { ChangesRefusedError, isChangesRefused } from "./changes/accept.js";
export type { ChangeAssessment } from "./changes/assess.js";
export { type DefinitionChanges, diffPlans } from "./changes/diff.js";
export * from "./run-model/index.js";
export * from "./recovery/index.js";
export * from "./expressions/index.js";
