import { conditionExpression } from "./condition.js";
import { parseDuration } from "./durations.js";
import type { RecoveryPatternFile, StageFile, StepFile, WorkflowFile } from "./schema.js";

type Retry = StepFile["retry"];

/**
 * The definition the journal stores with a run: the validated file with defaults filled in,
 * durations in milliseconds, conditions without `${{ }}` and env values as strings. It is a
 * valid workflow itself, so compiling it again gives the same plan and the same hash.
 */
export function normalise(file: WorkflowFile): WorkflowFile {
  const out: WorkflowFile = {
    ...file,
    defaults: file.defaults && {
      timeout: ms(file.defaults.timeout),
      retry: retry(file.defaults.retry),
    },
    stages: file.stages.map(stage),
    recovery: file.recovery?.map(pattern),
  };
  return JSON.parse(JSON.stringify(out)) as WorkflowFile;
}

function stage(s: StageFile): StageFile {
  return {
    ...s,
    timeout: ms(s.timeout),
    warn_after: ms(s.warn_after),
    if: s.if === undefined ? undefined : conditionExpression(s.if),
    steps: s.steps.map(step),
  };
}

function step(s: StepFile): StepFile {
  return {
    ...s,
    env: Object.fromEntries(Object.entries(s.env).map(([key, value]) => [key, String(value)])),
    timeout: ms(s.timeout),
    retry: retry(s.retry),
    if: s.if === undefined ? undefined : conditionExpression(s.if),
  };
}

function pattern(p: RecoveryPatternFile): RecoveryPatternFile {
  return { ...p, base_delay: ms(p.base_delay), max_delay: ms(p.max_delay) };
}

function retry(r: Retry): Retry {
  return r && { ...r, base_delay: ms(r.base_delay), max_delay: ms(r.max_delay) };
}

/** Milliseconds of a validated duration (undefined stays undefined). */
export function ms(value: string | number | undefined): number | undefined {
  return value === undefined ? undefined : parseDuration(value);
}
