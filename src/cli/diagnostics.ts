import type {
  AttemptRecord,
  CheckpointRecord,
  EventRecord,
  RunRecord,
  RunReport,
  StepLogLine,
} from "../index.js";
import type { LoadedConfig } from "./config.js";
import { maskSecrets, type SecretMasker } from "./mask.js";

/** What a support bundle is made of; gathered by the `diagnostics` command. */
export interface BundleParts {
  generatedAt: number;
  run: RunRecord;
  report: RunReport;
  attempts: AttemptRecord[];
  checkpoints: CheckpointRecord[];
  events: EventRecord[];
  /** What the steps printed (as `stageflow logs` shows it). */
  stepLog?: StepLogLine[];
  config: LoadedConfig;
  journal: { ok: boolean; problems: string[] };
  environment: { node: string; platform: string; arch: string; stageflow: string };
  /** The run's secret values, masked wherever they appear (see runMasker). */
  masker?: SecretMasker;
}

/**
 * The diagnostics bundle: everything needed to understand a run, as one JSON-ready object with
 * secrets masked (values of secret-named keys, GitHub tokens anywhere). Environment variables
 * appear by name only.
 */
export function diagnosticsBundle(parts: BundleParts): Record<string, unknown> {
  const { definition, ...run } = parts.run;
  const { run: _sameRun, ...report } = parts.report;
  return maskSecrets(
    {
      generatedAt: new Date(parts.generatedAt).toISOString(),
      run,
      report,
      attempts: parts.attempts,
      checkpoints: parts.checkpoints,
      events: parts.events,
      stepLog: parts.stepLog ?? [],
      definition,
      configuration: {
        values: parts.config.values,
        sources: parts.config.sources,
        file: parts.config.file ?? null,
      },
      environment: { ...parts.environment, variables: parts.config.envNames },
      journal: parts.journal,
    },
    parts.masker,
  );
}
