/**
 * The workflow file as users write it (snake_case keys): the one source of truth for
 * validation, the generated JSON Schema (`npm run schema`) and docs/workflow-file.md.
 */
import { z } from "zod";
import { Condition, ENV_NAME_PATTERN, Id, NAME_PATTERN, Retry, Timeout } from "./fields.js";
import { LIMITS } from "./limits.js";
import { RecoveryPatternSchema } from "./recovery-schema.js";

/** Keys a step may carry besides its one kind key (`run`, `http`, `wait`, ...). */
export const RESERVED_STEP_KEYS = [
  "id",
  "name",
  "with",
  "env",
  "retry",
  "timeout",
  "priority",
  "optional",
  "continue_on_error",
  "if",
  "dependency",
  "outputs",
] as const;

const d = (description: string) => ({ description });

export const InputSchema = z
  .strictObject({
    type: z.enum(["string", "number", "boolean", "choice"]).default("string").meta(d("The input's type.")),
    required: z.boolean().default(false).meta(d("A run cannot start without a value.")),
    default: z
      .union([z.string(), z.number(), z.boolean()], { error: "expected a string, number or boolean" })
      .optional()
      .meta(d("Value used when none is given; must match `type`.")),
    description: z.string().optional().meta(d("Shown in help and in the app's forms.")),
    options: z.array(z.string()).min(1).optional().meta(d("The allowed values of a `choice` input.")),
    secret: z
      .boolean()
      .optional()
      .meta(d("The value is masked (`***`) wherever a run is shown or stored, and is not journaled.")),
  })
  .meta(d("A run input, read in expressions as `${{ inputs.<name> }}`."));

export const StepSchema = z
  .object({
    id: Id.meta(d("Unique across the whole workflow; later steps read `${{ steps.<id>.outputs.<name> }}`.")),
    name: z.string().optional().meta(d("Display name.")),
    with: z.record(z.string(), z.unknown()).default({}).meta(d("Extra arguments for the step kind.")),
    env: z
      .record(
        z
          .string()
          .regex(ENV_NAME_PATTERN, { error: "use letters, digits and '_', not starting with a digit" }),
        z.union([z.string(), z.number(), z.boolean()], { error: "expected a string, number or boolean" }),
      )
      .default({})
      .meta(d("Environment variables (values may hold `${{ }}`).")),
    retry: Retry.optional(),
    timeout: Timeout.optional().meta(d("Per-attempt timeout. Default: defaults.timeout, else 10m.")),
    priority: z.int().default(0).meta(d("Higher runs first when a parallel stage is saturated.")),
    optional: z.boolean().default(false).meta(d("May be skipped by degradation.")),
    continue_on_error: z.boolean().default(false).meta(d("A failure does not fail the stage.")),
    if: Condition.optional(),
    dependency: z.string().min(1).optional().meta(d("Circuit-breaker key; default derived by the kind.")),
    outputs: z
      .array(Id)
      .optional()
      .meta(d("Output names the step writes; references are checked against them.")),
  })
  .catchall(z.unknown().meta(d("The step kind and its configuration, e.g. `run: make build`.")))
  .meta(
    d(
      "A step: exactly one kind key (`run`, `http`, `wait`, `github` or a registered kind) plus the keys listed here.",
    ),
  );

export const StageSchema = z
  .strictObject({
    id: Id.meta(d("Unique stage id.")),
    name: z.string().optional().meta(d("Display name.")),
    mode: z.enum(["parallel", "sequential"]).default("sequential").meta(d("How the stage's steps run.")),
    concurrency: z
      .int()
      .min(1)
      .max(LIMITS.concurrency)
      .optional()
      .meta(
        d(
          `At most this many steps at once (parallel stages). Default: all steps, at most ${LIMITS.concurrency}.`,
        ),
      ),
    timeout: Timeout.optional().meta(d("Time limit of the whole stage.")),
    warn_after: Timeout.optional().meta(
      d("Emit a warning when the stage runs longer; must be below timeout."),
    ),
    on_timeout: z
      .array(z.enum(["retry", "degrade", "escalate", "fail"]))
      .min(1)
      .default(["fail"])
      .meta(d("What to do when the stage times out, in order.")),
    fail_fast: z.boolean().default(true).meta(d("true: the first failure cancels running siblings.")),
    if: Condition.optional(),
    steps: z.array(StepSchema).min(1).max(LIMITS.steps).meta(d("The stage's steps.")),
  })
  .meta(d("A stage: a group of steps that runs after the previous stage."));

const loose = z.record(z.string(), z.unknown());

export const WorkflowSchema = z
  .strictObject({
    name: z
      .string()
      .max(LIMITS.nameLength)
      .regex(NAME_PATTERN, { error: "must hold only letters, digits, '_', '-' and '.'" })
      .meta(d("Unique within a repository.")),
    description: z.string().optional().meta(d("One line shown in listings.")),
    on: z
      .strictObject({
        labels: z.array(z.string()).default([]).meta(d("Adding one of these labels starts a run (app).")),
        commands: z
          .array(z.string())
          .default([])
          .meta(d("`/<command> key=value` in a comment starts a run (app).")),
      })
      .default({ labels: [], commands: [] })
      .meta(d("Triggers used by the app; ignored by the CLI.")),
    inputs: z.record(Id, InputSchema).default({}).meta(d("Run inputs by name.")),
    secrets: z
      .array(
        z
          .string()
          .regex(ENV_NAME_PATTERN, { error: "use letters, digits and '_', not starting with a digit" }),
      )
      .optional()
      .meta(d("Environment variables whose values are masked (`***`) wherever a run is shown or stored.")),
    defaults: z
      .strictObject({
        timeout: Timeout.optional().meta(d("Step timeout unless the step sets one. Default: 10m.")),
        retry: Retry.optional(),
      })
      .optional()
      .meta(d("Defaults for every step.")),
    stages: z.array(StageSchema).min(1).max(LIMITS.stages).meta(d("Stages, run in order.")),
    recovery: z
      .array(RecoveryPatternSchema)
      .max(LIMITS.patterns)
      .optional()
      .meta(d("Error patterns and recovery strategies; the first match by priority decides.")),
    sla: loose.optional().meta(d("Service-level objectives of the workflow.")),
    baselines: loose.optional().meta(d("Expected durations by stage; otherwise learned.")),
    alerts: z
      .union([z.array(loose), loose])
      .optional()
      .meta(d("Alert rules and channels.")),
  })
  .meta({ title: "stageflow workflow", description: "A stageflow workflow file." });

export type WorkflowFile = z.output<typeof WorkflowSchema>;
export type StageFile = z.output<typeof StageSchema>;
export type StepFile = z.output<typeof StepSchema>;
export type InputFile = z.output<typeof InputSchema>;
export type { AlternativeFile, RecoveryPatternFile } from "./recovery-schema.js";
