/**
 * A small terminal emulator for tests: a screen of `rows` × `columns` that understands what the
 * live view writes (cursor up, carriage return, clear line, clear to end of screen, colours),
 * and keeps the lines that scrolled off the top. stdout and stderr both write to it, as they do
 * on a real terminal.
 */
// eslint-disable-next-line no-control-regex -- terminal escapes are what this parses
const ESCAPE = new RegExp("^\u001b\\[(\\d*)([A-Za-z])");

export class FakeTerminal {
  readonly scrollback: string[] = [];
  private screen: string[];
  private row = 0;
  private col = 0;

  constructor(
    readonly rows: number,
    readonly columns: number,
  ) {
    this.screen = Array.from({ length: rows }, () => "");
  }

  /** A stream that writes to this terminal, with the `rows`/`columns` of a TTY. */
  stream() {
    return { write: (text: string) => this.write(text), rows: this.rows, columns: this.columns };
  }

  /** Every line ever shown: the scrollback, then the screen (trailing blank lines dropped). */
  history(): string[] {
    const all = [...this.scrollback, ...this.screen];
    while (all.length > 0 && all[all.length - 1] === "") all.pop();
    return all;
  }

  visible(): string[] {
    return [...this.screen];
  }

  write(text: string): boolean {
    let i = 0;
    while (i < text.length) {
      const ch = text.charAt(i);
      if (ch === "\x1b") {
        const m = ESCAPE.exec(text.slice(i));
        if (!m) throw new Error(`unknown escape at ${JSON.stringify(text.slice(i, i + 8))}`);
        this.escape(Number(m[1] || "0"), m[2] as string);
        i += m[0].length;
        continue;
      }
      if (ch === "\r") this.col = 0;
      else if (ch === "\n") this.newline();
      else this.put(ch);
      i++;
    }
    return true;
  }

  private escape(n: number, op: string): void {
    if (op === "A") this.row = Math.max(0, this.row - Math.max(1, n));
    else if (op === "K") this.screen[this.row] = "";
    else if (op === "J") {
      this.screen[this.row] = (this.screen[this.row] ?? "").slice(0, this.col);
      for (let r = this.row + 1; r < this.rows; r++) this.screen[r] = "";
    } else if (op !== "m") throw new Error(`unsupported escape ${op}`);
  }

  private put(ch: string): void {
    if (this.col >= this.columns) this.newline();
    const line = (this.screen[this.row] ?? "").padEnd(this.col);
    this.screen[this.row] = line.slice(0, this.col) + ch + line.slice(this.col + 1);
    this.col++;
  }

  private newline(): void {
    this.col = 0;
    if (this.row < this.rows - 1) {
      this.row++;
      return;
    }
    this.scrollback.push(this.screen.shift() ?? "");
    this.screen.push("");
  }
}
