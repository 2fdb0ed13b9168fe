export { RunFold } from "./fold.js";
export { buildRunModel, skeletonOf } from "./from-journal.js";
export * from "./types.js";
