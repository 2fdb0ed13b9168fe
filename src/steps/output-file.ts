/**
 * The outputs file of a `run` step (`$STAGEFLOW_OUTPUT`), in the format of GitHub's
 * `$GITHUB_OUTPUT`: `name=value` lines, and `name<<DELIMITER` ... `DELIMITER` for multi-line values.
 */

/** Larger outputs files are refused: outputs are journaled with the step. */
export const MAX_OUTPUT_BYTES = 1024 * 1024;

const NAME = /^[A-Za-z_][A-Za-z0-9_-]*$/;

export class OutputFileError extends Error {
  override readonly name = "OutputFileError";
  readonly code = "invalid_output";
}

/**
 * Parses the file's text; a malformed line throws an OutputFileError naming its line number.
 * What the message quotes of the file is masked with `mask` before it is clipped (a clipped
 * secret would no longer be recognised).
 */
export function parseOutputFile(
  text: string,
  mask: (text: string) => string = (t) => t,
): Record<string, string> {
  const lines = text.split("\n").map((l) => (l.endsWith("\r") ? l.slice(0, -1) : l));
  if (lines.at(-1) === "") lines.pop();
  const outputs = new Map<string, string>();
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line === "") continue;
    const eq = line.indexOf("=");
    const heredoc = line.indexOf("<<");
    if (eq >= 0 && (heredoc < 0 || eq < heredoc)) {
      outputs.set(checkName(line.slice(0, eq), i, mask), line.slice(eq + 1));
      continue;
    }
    if (heredoc < 0)
      fail(i, `expected name=value or name<<DELIMITER, got ${JSON.stringify(clip(mask(line)))}`);
    const name = checkName(line.slice(0, heredoc), i, mask);
    const delimiter = line.slice(heredoc + 2);
    if (delimiter.trim() === "") fail(i, `missing heredoc delimiter after '${name}<<'`);
    const close = lines.indexOf(delimiter, i + 1);
    if (close < 0) fail(i, `heredoc '${name}<<${delimiter}' is never closed by a line '${delimiter}'`);
    outputs.set(name, lines.slice(i + 1, close).join("\n"));
    i = close;
  }
  return Object.fromEntries(outputs);
}

function checkName(raw: string, index: number, mask: (text: string) => string): string {
  const name = raw.trim();
  if (!NAME.test(name)) {
    fail(index, `invalid output name ${JSON.stringify(clip(mask(name)))} (letters, digits, '_' and '-')`);
  }
  return name;
}

function clip(text: string): string {
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function fail(index: number, message: string): never {
  throw new OutputFileError(`$STAGEFLOW_OUTPUT line ${index + 1}: ${message}`);
}
