/**
 * Secrets: masked by key (secret-named fields), by pattern (token-shaped text) and by value
 * (what a run declares secret). `maskSecrets` and `maskText` apply all three; the engine masks
 * by value before anything is journaled, and every host masks again where it shows or writes a
 * run (defence in depth). See docs/workflow-file.md, "Secrets".
 */
import { SecretMasker } from "./masker.js";
import { isSecretKey, MASK, maskPatterns } from "./patterns.js";
import { secretValues } from "./values.js";

export { MIN_SECRET_LENGTH, maskingLogger, NO_SECRETS, SecretMasker } from "./masker.js";
export { isSecretKey, MASK, maskPatterns } from "./patterns.js";
export { secretEnvNames, secretInputNames, secretValues } from "./values.js";

/** The masker of a run: its secret inputs' values and `env`'s values of the variables it lists under `secrets:`. */
export function runSecrets(
  definition: unknown,
  inputs: Record<string, unknown>,
  env: Readonly<Record<string, string | undefined>>,
): SecretMasker {
  return new SecretMasker(secretValues(definition, inputs, env));
}

/** Masks token-shaped text, and the masker's values, in a text. */
export function maskText(text: string, values?: SecretMasker): string {
  return maskPatterns(values ? values.text(text) : text);
}

/**
 * A deep copy of `value` with secrets masked: the value of every secret-named key becomes `***`
 * (whatever its type), and token-shaped text and the masker's values are masked in every string.
 */
export function maskSecrets<T>(value: T, values?: SecretMasker): T {
  return mask(value, new Set(), values) as T;
}

function mask(value: unknown, ancestors: Set<object>, values: SecretMasker | undefined): unknown {
  if (typeof value === "string") return maskText(value, values);
  if (value === null || typeof value !== "object") return value;
  if (ancestors.has(value)) return "[circular]";
  ancestors.add(value);
  try {
    if (Array.isArray(value)) return value.map((item) => mask(item, ancestors, values));
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      const secret = isSecretKey(key) && item !== null && item !== undefined && item !== "";
      out[key] = secret ? MASK : mask(item, ancestors, values);
    }
    return out;
  } finally {
    ancestors.delete(value);
  }
}
