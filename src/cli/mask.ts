/** The CLI masks with the engine's one secrets module (keys, patterns, values). */
import { type RunRecord, SecretMasker, secretValues } from "../index.js";

export { isSecretKey, MASK, maskSecrets, maskText, SecretMasker } from "../index.js";

/**
 * The values to mask when showing these runs (defence in depth: the engine masked them before
 * journaling): the values, in this process's environment, of the variables their workflows list
 * under `secrets:`. Secret inputs are not stored, so there is nothing of them to look up.
 */
export function runMasker(
  runs: readonly RunRecord[],
  env: Readonly<Record<string, string | undefined>>,
): SecretMasker {
  return new SecretMasker(runs.flatMap((run) => secretValues(run.definition, run.inputs, env)));
}
