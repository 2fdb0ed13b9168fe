/**
 * Which values of a run are secret, read from its definition (the normalised workflow file a
 * plan carries and the journal stores): inputs declared `secret: true`, and the environment
 * variables named under the top-level `secrets:`, looked up in the host's environment.
 */

type Env = Readonly<Record<string, string | undefined>>;

/** The secret input names of a definition (a plan's `definition` or a run record's). */
export function secretInputNames(definition: unknown): string[] {
  const inputs = (definition as { inputs?: unknown } | null)?.inputs;
  if (!inputs || typeof inputs !== "object") return [];
  return Object.entries(inputs)
    .filter(([, spec]) => (spec as { secret?: unknown } | null)?.secret === true)
    .map(([name]) => name);
}

/** The environment variable names a definition marks secret. */
export function secretEnvNames(definition: unknown): string[] {
  const names = (definition as { secrets?: unknown } | null)?.secrets;
  return Array.isArray(names) ? names.filter((n): n is string => typeof n === "string") : [];
}

/** The values to mask: the secret inputs' values (as text) and the named variables' values. */
export function secretValues(definition: unknown, inputs: Record<string, unknown>, env: Env): string[] {
  const values: string[] = [];
  for (const name of secretInputNames(definition)) {
    const value = inputs[name];
    if (value !== undefined && value !== null) values.push(String(value));
  }
  for (const name of secretEnvNames(definition)) {
    const value = env[name];
    if (value) values.push(value);
  }
  return values;
}
