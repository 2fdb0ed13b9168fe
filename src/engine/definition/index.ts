/** Workflow files: parsing, validation, compilation to a WorkflowPlan, and run inputs. */
export { BUILTIN_RETRY, DEFAULT_STEP_TIMEOUT_MS } from "./compile.js";
export { resolveInputs } from "./inputs.js";
export type { Kinds } from "./kinds.js";
export { compileWorkflow, parseWorkflow, type WorkflowOptions } from "./parse.js";
export { formatProblem, isWorkflowError, type Problem, WorkflowError } from "./problems.js";
export { RESERVED_STEP_KEYS, type WorkflowFile, WorkflowSchema } from "./schema.js";
