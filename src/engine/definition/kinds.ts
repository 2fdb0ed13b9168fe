import { errorMessage } from "../errors.js";
import type { StepHandler } from "../handler.js";
import { isRecord, listText } from "./describe.js";
import type { RawProblem, Segment } from "./problems.js";
import type { RawStage, RawStep } from "./raw.js";
import { RESERVED_STEP_KEYS } from "./schema.js";
import { closest, didYouMean } from "./suggest.js";

/** The registered step kinds by key. */
export type Kinds = ReadonlyMap<string, StepHandler>;

const RESERVED: ReadonlySet<string> = new Set(RESERVED_STEP_KEYS);

/** Built-in kinds a host registers only when it chooses to (`builtinSteps({ run: { cwd, env } })`). */
const OPT_IN_KINDS: ReadonlySet<string> = new Set(["run"]);

/** The keys of a step that are not reserved step keys: candidates for its kind. */
export function kindKeys(step: Record<string, unknown>): string[] {
  return Object.keys(step).filter((key) => !RESERVED.has(key));
}

/** The step's kind, when exactly one registered kind key is present. */
export function kindOf(step: Record<string, unknown>, kinds: Kinds): string | undefined {
  const found = kindKeys(step).filter((key) => kinds.has(key));
  return found.length === 1 ? found[0] : undefined;
}

/** Exactly one kind key per step; misspelt reserved keys; the kind's own validation. */
export function kindProblems(stages: readonly RawStage[], kinds: Kinds): RawProblem[] {
  const problems: RawProblem[] = [];
  for (const stage of stages) for (const step of stage.steps) problems.push(...stepKindProblems(step, kinds));
  return problems;
}

function stepKindProblems(step: RawStep, kinds: Kinds): RawProblem[] {
  const known = [...kinds.keys()].sort();
  const { path } = step;
  const problems: RawProblem[] = [];
  const unknown = (key: string) =>
    problems.push({ path, key, message: `unknown key '${key}'${didYouMean(key, known)}` });
  const candidates: string[] = [];
  for (const key of kindKeys(step.value)) {
    const reserved = kinds.has(key) ? undefined : closest(key, RESERVED_STEP_KEYS);
    if (reserved) problems.push({ path, key, message: `unknown key '${key}' (did you mean '${reserved}'?)` });
    else candidates.push(key);
  }
  const registered = candidates.filter((key) => kinds.has(key));
  const others = candidates.filter((key) => !kinds.has(key));
  if (candidates.length === 0) {
    problems.push({ path, message: `step has no kind: add one of ${known.join(", ")}` });
  } else if (registered.length > 1) {
    const message = `step has more than one kind: ${listText(registered, true)} (keep exactly one)`;
    problems.push({ path, key: registered[1], message });
    others.forEach(unknown);
  } else if (registered.length === 1) {
    others.forEach(unknown);
  } else {
    for (const key of others) {
      if (OPT_IN_KINDS.has(key)) {
        const message = `unknown step kind '${key}': the host did not enable it (known: ${known.join(", ")})`;
        problems.push({ path, key, message });
        continue;
      }
      const guess = closest(key, known);
      const hint = guess === undefined ? "" : `did you mean '${guess}'? `;
      const message = `unknown step kind '${key}' (${hint}known: ${known.join(", ")})`;
      problems.push({ path, key, message });
    }
  }
  const kind = kindOf(step.value, kinds);
  if (kind !== undefined) problems.push(...handlerProblems(step, kind, kinds.get(kind) as StepHandler));
  return problems;
}

function handlerProblems(step: RawStep, kind: string, handler: StepHandler): RawProblem[] {
  if (!handler.validate) return [];
  const withMap = isRecord(step.value.with) ? step.value.with : {};
  const at = [...step.path, kind];
  try {
    return handler.validate(step.value[kind], withMap).map(([relative, message]) => ({
      path: [...at, ...relativePath(relative)],
      message,
    }));
  } catch (e) {
    return [{ path: at, message: `the '${kind}' kind could not check this step: ${errorMessage(e)}` }];
  }
}

/** `body.items.0` → `["body", "items", 0]`; `""` → `[]`. */
function relativePath(relative: string): Segment[] {
  return relative
    .split(".")
    .filter(Boolean)
    .map((part) => (/^\d+$/.test(part) ? Number(part) : part));
}
