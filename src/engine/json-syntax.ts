/**
 * Where a text stops being JSON, said without quoting it. `JSON.parse`'s own message quotes a
 * snippet of the text around the error (`..."assword": hunter2-s3"... is not valid JSON`): part
 * of a secret that masking by value does not recognise. Callers report this instead.
 */

/** Where and why a text is not JSON: nothing of the text itself. */
export interface JsonSyntaxProblem {
  /** 0-based offset of the first character that cannot be JSON (the text's length at its end). */
  position: number;
  /** 1-based line and column of `position`. */
  line: number;
  column: number;
  /** What was expected there, e.g. `expected ',' or '}'`; never quotes the text. */
  problem: string;
}

/**
 * The first syntax error of `text` as JSON (RFC 8259, as `JSON.parse` reads it), or null when
 * there is none (or the text is nested too deep for this reader). Only for error messages: it
 * reads the text again after `JSON.parse` failed.
 */
export function jsonSyntaxProblem(text: string): JsonSyntaxProblem | null {
  const scanner = new Scanner(text);
  try {
    scanner.document();
    return null;
  } catch (e) {
    if (!(e instanceof SyntaxStop)) return null; // nested too deep for this reader (RangeError)
    const before = text.slice(0, e.position);
    const lineStart = before.lastIndexOf("\n") + 1;
    return {
      position: e.position,
      line: before.split("\n").length,
      column: e.position - lineStart + 1,
      problem: e.position >= text.length ? `${e.expected}, found the end of the text` : e.expected,
    };
  }
}

/**
 * Where and why `text` is not JSON, in words: `at line 3, column 14: expected ',' or '}'`, or
 * `at position 13: ...` for a text of one line; `` (empty) when the reader finds no error.
 */
export function jsonSyntaxWhere(text: string): string {
  const found = jsonSyntaxProblem(text);
  if (!found) return "";
  const where = text.includes("\n")
    ? `line ${found.line}, column ${found.column}`
    : `position ${found.position}`;
  return `at ${where}: ${found.problem}`;
}

class SyntaxStop {
  constructor(
    readonly position: number,
    readonly expected: string,
  ) {}
}

const WS = new Set([" ", "\t", "\n", "\r"]);
const ESCAPES = new Set(['"', "\\", "/", "b", "f", "n", "r", "t"]);
const DIGIT = /[0-9]/;
const HEX = /[0-9a-fA-F]/;

class Scanner {
  private at = 0;
  constructor(private readonly text: string) {}

  document(): void {
    this.value();
    this.space();
    if (this.at < this.text.length) this.stop("expected the end of the text after the value");
  }

  private stop(expected: string): never {
    throw new SyntaxStop(this.at, expected);
  }

  private peek(): string {
    return this.text.charAt(this.at);
  }

  private space(): void {
    while (WS.has(this.peek())) this.at++;
  }

  private value(): void {
    this.space();
    const c = this.peek();
    if (c === "{") return this.object();
    if (c === "[") return this.array();
    if (c === '"') return this.string();
    if (c === "-" || DIGIT.test(c)) return this.number();
    for (const word of ["true", "false", "null"]) {
      if (c === word[0]) return this.word(word);
    }
    this.stop("expected a value");
  }

  private word(word: string): void {
    for (const ch of word) {
      if (this.peek() !== ch) this.stop(`expected '${word}'`);
      this.at++;
    }
  }

  private object(): void {
    this.at++; // {
    this.space();
    if (this.peek() === "}") {
      this.at++;
      return;
    }
    for (let first = true; ; first = false) {
      this.space();
      if (this.peek() !== '"') {
        this.stop(`expected a property name (a string in double quotes)${first ? " or '}'" : ""}`);
      }
      this.string();
      this.space();
      if (this.peek() !== ":") this.stop("expected ':'");
      this.at++;
      this.value();
      this.space();
      const c = this.peek();
      this.at++;
      if (c === "}") return;
      if (c !== ",") {
        this.at--;
        this.stop("expected ',' or '}'");
      }
    }
  }

  private array(): void {
    this.at++; // [
    this.space();
    if (this.peek() === "]") {
      this.at++;
      return;
    }
    for (;;) {
      this.value();
      this.space();
      const c = this.peek();
      this.at++;
      if (c === "]") return;
      if (c !== ",") {
        this.at--;
        this.stop("expected ',' or ']'");
      }
    }
  }

  private string(): void {
    this.at++; // "
    for (;;) {
      if (this.at >= this.text.length) this.stop("expected '\"' to end the string");
      const c = this.peek();
      if (c === '"') {
        this.at++;
        return;
      }
      if (c < " ") this.stop("found a control character in a string (it must be escaped)");
      this.at++;
      if (c !== "\\") continue;
      const e = this.peek();
      if (e === "u") {
        this.at++;
        for (let i = 0; i < 4; i++) {
          if (!HEX.test(this.peek())) this.stop("expected 4 hex digits after '\\u'");
          this.at++;
        }
      } else if (ESCAPES.has(e)) {
        this.at++;
      } else {
        this.stop('expected an escape (\\" \\\\ \\/ \\b \\f \\n \\r \\t or \\uXXXX)');
      }
    }
  }

  private number(): void {
    if (this.peek() === "-") this.at++;
    if (this.peek() === "0") this.at++;
    else this.digits();
    if (this.peek() === ".") {
      this.at++;
      this.digits();
    }
    if (this.peek() === "e" || this.peek() === "E") {
      this.at++;
      if (this.peek() === "+" || this.peek() === "-") this.at++;
      this.digits();
    }
  }

  private digits(): void {
    if (!DIGIT.test(this.peek())) this.stop("expected a digit");
    while (DIGIT.test(this.peek())) this.at++;
  }
}
