import type { Command } from "commander";
import { type Engine, InputError, type Journal, type RunRecord, type StepLogLine } from "../../index.js";
import { type CommandContext, withRoot } from "../context.js";
import { EXIT } from "../exit-codes.js";
import type { CliIo, StopSignal } from "../io.js";
import { maskSecrets, runMasker, type SecretMasker } from "../mask.js";
import { writeJson, writeNote, writeText } from "../output.js";
import { requireRun } from "./lookup.js";
import { type CommonOptions, withCommonOptions } from "./options.js";

interface LogsOptions extends CommonOptions {
  follow?: boolean;
}

/** How often `--follow` reads the journal for new lines. */
export const FOLLOW_POLL_MS = 300;

export function registerLogs(program: Command, ctx: CommandContext): void {
  const cmd = program
    .command("logs")
    .description("print what a run's steps wrote to stdout and stderr (kept in the journal, masked)")
    .argument("<run-id>", "a run id or unique prefix")
    .argument("[step]", "only this step's output")
    .option("-f, --follow", "keep printing new output until the run stops running (or is interrupted)");
  withCommonOptions(cmd).action(async (id: string, step: string | undefined, opts: LogsOptions) => {
    const config = ctx.config(opts);
    ctx.exitCode = await withRoot(ctx, config, { readOnly: true }, async (root) => {
      const run = await requireRun(root.journal, id);
      if (step !== undefined) checkStep(run, step);
      const labels = step === undefined ? stepIds(run) : [step];
      const print = printer(ctx.io, labels, runMasker([run], ctx.io.env), config.values.json, opts.follow);
      if (!opts.follow) {
        print.lines(await root.journal.listStepLog(run.id, { stepId: step }));
        print.end();
        return EXIT.ok;
      }
      return follow(ctx.io, root.journal, root.engine, run.id, step, print.lines);
    });
  });
}

/**
 * Prints new lines until the run is no longer `running` — or is recorded running with no process
 * executing it any more (`interrupted`, as `status` shows it) — then once more; or until Ctrl-C
 * (exit 130) or SIGTERM (143).
 */
async function follow(
  io: CliIo,
  journal: Journal,
  engine: Pick<Engine, "isInterrupted">,
  runId: string,
  stepId: string | undefined,
  print: (lines: StepLogLine[]) => void,
): Promise<number> {
  let stoppedBy: StopSignal | undefined;
  let wake = () => {};
  const dispose = io.onInterrupt?.((signal) => {
    stoppedBy = signal ?? "SIGINT";
    wake();
  });
  try {
    let afterSeq = 0;
    for (;;) {
      const run = await journal.getRun(runId);
      const running = run?.status === "running" && !engine.isInterrupted(run);
      const lines = await journal.listStepLog(runId, { stepId, afterSeq });
      print(lines);
      afterSeq = lines.at(-1)?.seq ?? afterSeq;
      if (!running) return EXIT.ok;
      if (stoppedBy) return stoppedBy === "SIGTERM" ? EXIT.terminated : EXIT.interrupted;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, FOLLOW_POLL_MS);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  } finally {
    dispose?.();
  }
}

function checkStep(run: RunRecord, step: string): void {
  const ids = stepIds(run);
  if (!ids.includes(step)) {
    throw new InputError("invalid_input", `run ${run.id} has no step '${step}' (steps: ${ids.join(", ")})`);
  }
}

function stepIds(run: RunRecord): string[] {
  const stages = (run.definition as { stages?: Array<{ steps?: Array<{ id?: unknown }> }> }).stages ?? [];
  return stages.flatMap((s) => (s.steps ?? []).map((st) => String(st.id)));
}

/**
 * Text: `step | line` (stdout), `step ! line` (stderr), `step … note`; `step#2` for a later
 * attempt. JSON: one array, or with --follow one object per line (JSON Lines).
 */
function printer(io: CliIo, labels: string[], masker: SecretMasker, json: boolean, streaming?: boolean) {
  const width = Math.min(24, Math.max(0, ...labels.map((s) => s.length)));
  let all: StepLogLine[] = [];
  let printed = 0;
  const mark = { stdout: "|", stderr: "!", note: "…" } as const;
  return {
    lines(lines: StepLogLine[]): void {
      if (lines.length === 0) return;
      printed += lines.length;
      if (json && !streaming) {
        all = all.concat(lines); // not push(...lines): a run's whole log overflows the stack
        return;
      }
      if (json) {
        for (const l of lines) io.stdout.write(`${JSON.stringify(maskSecrets(l, masker))}\n`);
        return;
      }
      const text = lines.map((l) => {
        const label = l.attempt > 1 ? `${l.stepId}#${l.attempt}` : l.stepId;
        return `${label.padEnd(width)} ${mark[l.stream]} ${l.text}`;
      });
      writeText(io, text.join("\n"), masker);
    },
    end(): void {
      if (json) writeJson(io, all, masker);
      else if (printed === 0) writeNote(io, "no output was kept for this run (or step)");
    },
  };
}
