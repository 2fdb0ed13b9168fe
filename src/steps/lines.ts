/** Splits a stream's text into lines (a very long line is cut at 64 KB), and keeps a tail of stderr. */

export const TAIL_LINES = 20;
export const TAIL_BYTES = 4096;
const MAX_LINE = 64 * 1024;

export function lineReader(emit: (line: string) => void) {
  let partial = "";
  return {
    push(chunk: string) {
      const parts = (partial + chunk).split("\n");
      partial = parts.pop() ?? "";
      for (const p of parts) emit(p.endsWith("\r") ? p.slice(0, -1) : p);
      if (partial.length > MAX_LINE) {
        emit(partial);
        partial = "";
      }
    },
    end() {
      if (partial) emit(partial);
      partial = "";
    },
  };
}

export function tailText(lines: string[]): string {
  const text = lines.join("\n").trimEnd();
  return text.length > TAIL_BYTES ? text.slice(-TAIL_BYTES) : text;
}
