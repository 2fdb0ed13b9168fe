/**
 * `run --github-preview DIR`: what the GitHub App would post for the run, rendered from the same
 * templates (`stageflow/render`): `check-run.md` (the check run's title, summary and annotations)
 * and `comment.md` (the status comment, hidden marker included), so a new user sees the GitHub
 * side before registering an app.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import type { WorkflowPlan } from "../../index.js";
import {
  type Annotation,
  checkRunOutput,
  commentBody,
  commentMarker,
  createRenderer,
  runView,
} from "../../render.js";
import type { CliIo } from "../io.js";
import { maskText, runMasker } from "../mask.js";
import { writeNote } from "../output.js";
import type { CliRoot } from "../root.js";

/** Writes DIR/check-run.md and DIR/comment.md for run `runId`; returns their paths as shown. */
export async function writeGithubPreview(
  root: CliRoot,
  io: CliIo,
  runId: string,
  plan: WorkflowPlan,
  dir: string,
): Promise<string[]> {
  const report = await root.engine.report(runId);
  const masker = runMasker([report.run], io.env);
  const view = runView(report, { now: Date.now(), plan, mask: (text) => maskText(text, masker) });
  const renderer = createRenderer();
  const output = await checkRunOutput(view, renderer);
  const comment = await commentBody(view, renderer);
  const checkRun = [
    `# Check run: stageflow: ${view.workflow}`,
    "",
    `<!-- status: ${view.checkStatus}; conclusion: ${view.conclusion ?? "none"}; title: ${output.title} -->`,
    "",
    output.summary.trimEnd(),
    ...annotationLines(output.annotations),
    "",
  ].join("\n");
  const target = resolve(io.cwd, dir);
  mkdirSync(target, { recursive: true });
  const files = [
    [join(target, "check-run.md"), maskText(checkRun, masker)],
    [join(target, "comment.md"), maskText(`${comment}\n\n${commentMarker(view.runId)}\n`, masker)],
  ] as const;
  for (const [path, text] of files) writeFileSync(path, text);
  const shown = files.map(([path]) => {
    const rel = relative(io.cwd, path);
    return rel.startsWith("..") ? path : rel;
  });
  writeNote(io, `GitHub preview (what the app would post for this run): ${shown.join(", ")}`);
  return shown;
}

/** The annotations, as a list after the summary (GitHub shows them on the workflow file's lines). */
function annotationLines(annotations: readonly Annotation[]): string[] {
  if (annotations.length === 0) return [];
  return [
    "",
    "### Annotations",
    "",
    ...annotations.map(
      (a) =>
        `- \`${a.path}:${a.start_line}\` (${a.annotation_level}) ${a.title}: ${a.message.split("\n")[0]}`,
    ),
  ];
}
