import type { CliIo, Output } from "../io.js";

/** A stream that may be a terminal: Node's `process.stdout` has these, a pipe does not. */
export interface TerminalOutput extends Output {
  columns?: number;
  rows?: number;
}

/** How runs' progress is shown: redrawn in place, one plain line per event, or not at all. */
export type ProgressMode = "live" | "plain" | "silent";

/**
 * `--json` shows nothing; a terminal (stdout a TTY, TERM not `dumb`) gets the live view; pipes,
 * files and CI logs get plain lines.
 */
export function progressMode(io: CliIo, json: boolean): ProgressMode {
  if (json) return "silent";
  return io.isTTY && io.env.TERM !== "dumb" ? "live" : "plain";
}

/**
 * Colour in the live view: never with `NO_COLOR` set (https://no-color.org), always with
 * `FORCE_COLOR` set (other than `0`), else on a terminal that is not `dumb`.
 */
export function useColor(io: CliIo): boolean {
  if (io.env.NO_COLOR) return false;
  const force = io.env.FORCE_COLOR;
  if (force !== undefined && force !== "") return force !== "0" && force !== "false";
  return io.isTTY && io.env.TERM !== "dumb";
}

const COLOURS: Record<string, number> = {
  "✔": 32, // green
  "✖": 31, // red
  "↻": 33, // yellow
  "⏸": 33,
  "⊘": 35, // magenta
  "▸": 36, // cyan
};

/** The line with its leading status symbol coloured (widths are measured before this). */
export function colourLine(line: string): string {
  const at = line.length - line.trimStart().length;
  const code = COLOURS[line.charAt(at)];
  if (code === undefined) return line;
  return `${line.slice(0, at)}\x1b[${code}m${line.charAt(at)}\x1b[39m${line.slice(at + 1)}`;
}
