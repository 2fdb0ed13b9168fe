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
export { type JsonSyntaxProblem, jsonSyntaxProblem, jsonSyntaxWhere } from "./json-syntax.js";
export * from "./ports.js";
export * from "./reasons.js";
export { buildReport } from "./report.js";
export { MAX_KEY_LENGTH, MAX_METADATA_BYTES } from "./run-metadata.js";
export { ChangesRefusedError, isChangesRefused } from "./changes/accept.js";
export type { ChangeAssessment } from "./changes/assess.js";
export { type DefinitionChanges, diffPlans, type StepChange } from "./changes/diff.js";
export * from "./run-model/index.js";
export * from "./recovery/index.js";
export * from "./expressions/index.js";
// Hosts mask again where they show or write a run (defence in depth; see secrets/index.ts).
export {
  isSecretKey,
  MASK,
  maskingLogger,
  maskSecrets,
  maskText,
  runSecrets,
  SecretMasker,
  secretValues,
} from "./secrets/index.js";
// The limits a workflow file is held to (a host reading one checks its size first), in the
// engine's own words.
export { formatBytes, LIMITS } from "./definition/limits.js";
// A run's scratch directory: a host that deletes runs removes theirs (see work-dir.ts).
export { removeRunWorkDir, runWorkDir } from "./work-dir.js";
export { ENGINE_KINDS, signalKind, signalNameOf, waitKind } from "./kinds/index.js";
