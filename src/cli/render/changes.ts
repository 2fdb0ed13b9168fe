import type { DefinitionChanges, StepChange } from "../../index.js";
import { fit } from "./format.js";

const MARK: Record<StepChange["change"], string> = { added: "+", removed: "-", changed: "~" };

/**
 * What changed in a run's workflow since it started, by stage, e.g.
 * ```
 * the workflow release.yml changed since run 01a2… started:
 *   stage build (changed: concurrency)
 *     + lint  new step
 *     ~ linux  changed: run, retry
 *     - docs  removed
 *   also changed: recovery
 * ```
 */
export function renderChanges(changes: DefinitionChanges, what: string): string {
  if (!changes.any) return `${what}: no changes\n`;
  const lines = [`${what}:`];
  for (const stage of changes.stages) {
    if (stage.change === "unchanged") continue;
    const how =
      stage.change === "changed"
        ? stage.keys.length
          ? ` (changed: ${stage.keys.join(", ")})`
          : ""
        : ` (${stage.change === "added" ? "new" : "removed"})`;
    lines.push(`  stage ${stage.stageId}${how}`);
    for (const step of stage.steps) {
      const note =
        step.change === "added"
          ? "new step"
          : step.change === "removed"
            ? "removed"
            : `changed: ${step.keys.join(", ")}`;
      lines.push(`    ${MARK[step.change]} ${step.stepId}  ${note}`);
    }
  }
  if (changes.other.length) lines.push(`  also changed: ${changes.other.join(", ")}`);
  return `${lines.map((line) => fit(line)).join("\n")}\n`;
}
