import { ExpressionError } from "./ast.js";

export type Token =
  | { type: "punct"; value: string; offset: number }
  | { type: "string"; value: string; offset: number }
  | { type: "number"; value: number; text: string; offset: number }
  | { type: "ident"; value: string; offset: number }
  | { type: "eof"; value: ""; offset: number };

const PUNCT = ["==", "!=", "<=", ">=", "&&", "||", "<", ">", "!", "(", ")", "[", "]", ",", "."];
const NUMBER = /^(?:-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)/;
const IDENT = /^[A-Za-z_][A-Za-z0-9_-]*/;

/** Splits expression text into tokens; the last one is always `eof`. */
export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i] as string;
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    const rest = text.slice(i);
    if (ch === "'") {
      const [value, end] = readString(text, i);
      tokens.push({ type: "string", value, offset: i });
      i = end;
      continue;
    }
    const number = NUMBER.exec(rest);
    if (number && (ch !== "." || /\d/.test(text[i + 1] ?? ""))) {
      const raw = number[0];
      tokens.push({ type: "number", value: Number(raw), text: raw, offset: i });
      i += raw.length;
      continue;
    }
    const ident = IDENT.exec(rest);
    if (ident) {
      tokens.push({ type: "ident", value: ident[0], offset: i });
      i += ident[0].length;
      continue;
    }
    const punct = PUNCT.find((p) => rest.startsWith(p));
    if (!punct) throw new ExpressionError(`unexpected character '${ch}'`, i);
    tokens.push({ type: "punct", value: punct, offset: i });
    i += punct.length;
  }
  tokens.push({ type: "eof", value: "", offset: text.length });
  return tokens;
}

/** Reads a single-quoted string starting at `start`; `''` is an escaped quote. */
function readString(text: string, start: number): [string, number] {
  let value = "";
  let i = start + 1;
  while (i < text.length) {
    const ch = text[i];
    if (ch === "'") {
      if (text[i + 1] !== "'") return [value, i + 1];
      value += "'";
      i += 2;
      continue;
    }
    value += ch;
    i++;
  }
  throw new ExpressionError("unterminated string", start);
}
