/**
 * The slash-command grammar of the app (pure: no I/O). Only a comment's first line (after
 * leading blank lines) can be a command, and only when it is plain text: a quote (`> ...`), a
 * fenced (``` or ~~~) or indented code block, or inline `code` never triggers.
 *
 *   /stageflow run NAME key=value key="with spaces" key='single'
 *   /deploy env=staging                     (a workflow's own command, from `on.commands`)
 *   /stageflow retry [STEP] [#RUN]    /stageflow skip STEP [#RUN]
 *   /stageflow resume|cancel|approve|status [#RUN]    /stageflow [help]
 *
 * Command words are case-insensitive; parameter names, values, step ids and run ids are not.
 */

/** The longest first line read as a command. */
export const MAX_COMMAND_LINE = 1000;
/** The most `key=value` parameters in one command. */
export const MAX_COMMAND_PARAMS = 50;

type Steering = "resume" | "cancel" | "approve" | "status";

/** What a comment's first line asks for. Every variant carries `raw`: that line, trimmed. */
export type ParsedCommand = { raw: string } & (
  | { kind: "run"; workflow: string; params: Record<string, string> }
  | { kind: "retry"; step?: string; run?: string }
  | { kind: "skip"; step: string; run?: string }
  | { kind: Steering; run?: string }
  | { kind: "help" }
  | { kind: "unknown"; word: string }
  | { kind: "invalid"; message: string }
);

export interface CommandOptions {
  /** The settings' `command_prefix`, e.g. `/stageflow`. */
  prefix: string;
  /** A workflow's own command word (from `on.commands`, without `/`) → the workflow's name. */
  commands: ReadonlyMap<string, string>;
}

/** A word of the line: `key=value`, `#RUN`, or a positional word. */
type Token =
  | { type: "param"; key: string; value: string }
  | { type: "run"; id: string }
  | { type: "word"; text: string };

const STEERING: ReadonlySet<string> = new Set(["resume", "cancel", "approve", "status"]);
const PARAM_KEY = /^[A-Za-z_][A-Za-z0-9_-]*$/;
const RUN_REF = /^[A-Za-z0-9_-]+$/;

class CommandSyntaxError extends Error {}

/**
 * Reads the command of a comment, or undefined when its first line is not one (not a slash word
 * of ours, a quote, code). A line that is ours but malformed is `invalid` with a message.
 */
export function parseCommand(body: string, options: CommandOptions): ParsedCommand | undefined {
  const line = firstLine(body);
  if (line === undefined || !isPlainText(line)) return undefined;
  const text = line.trim();
  const head = /^\S+/.exec(text)?.[0] ?? "";
  const word = head.toLowerCase();
  const prefix = options.prefix.toLowerCase();
  const own = word.startsWith("/") ? commandIndex(options.commands).get(word.slice(1)) : undefined;
  if (word !== prefix && own === undefined) return undefined;
  const raw = text.length > MAX_COMMAND_LINE ? `${text.slice(0, MAX_COMMAND_LINE)}…` : text;
  if (text.length > MAX_COMMAND_LINE) {
    return invalid(
      raw,
      `the command line has ${text.length} characters; at most ${MAX_COMMAND_LINE} are read`,
    );
  }
  let tokens: Token[];
  try {
    tokens = tokenize(text.slice(head.length));
  } catch (e) {
    return invalid(raw, (e as Error).message);
  }
  const params = tokens.filter((t) => t.type === "param").length;
  if (params > MAX_COMMAND_PARAMS) {
    return invalid(raw, `the command has ${params} parameters; at most ${MAX_COMMAND_PARAMS} are allowed`);
  }
  try {
    if (own !== undefined) return { raw, ...runCommand(own, tokens, head) };
    return { raw, ...subcommand(tokens, options.prefix) };
  } catch (e) {
    if (e instanceof CommandSyntaxError) return invalid(raw, e.message);
    throw e;
  }
}

function invalid(raw: string, message: string): ParsedCommand {
  return { kind: "invalid", raw, message };
}

/** The first line that is not blank, with its indentation. */
function firstLine(body: string): string | undefined {
  let start = 0;
  while (start <= body.length) {
    const end = body.indexOf("\n", start);
    const line = body.slice(start, end === -1 ? body.length : end).replace(/\r$/, "");
    if (line.trim() !== "") return line;
    if (end === -1) return undefined;
    start = end + 1;
  }
  return undefined;
}

/** Not a quote, a code fence, an indented code block (4 spaces or a tab) or inline code. */
function isPlainText(line: string): boolean {
  const indent = /^ {0,3}/.exec(line)?.[0].length ?? 0;
  const rest = line.slice(indent);
  if (rest.startsWith(" ") || rest.startsWith("\t")) return false;
  return !/^(>|```|~~~|`)/.test(rest);
}

function commandIndex(commands: ReadonlyMap<string, string>): Map<string, string> {
  const index = new Map<string, string>();
  for (const [word, workflow] of commands) index.set(word.replace(/^\//, "").toLowerCase(), workflow);
  return index;
}

type Parsed = DistributiveOmit<ParsedCommand, "raw">;
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

function runCommand(workflow: string, tokens: Token[], command: string): Parsed {
  const params: Record<string, string> = {};
  for (const token of tokens) {
    if (token.type === "run") {
      throw new CommandSyntaxError(`${command} starts a new run: '#${token.id}' cannot name one`);
    }
    if (token.type === "word") {
      throw new CommandSyntaxError(
        `unexpected word '${token.text}': parameters are written key=value (e.g. ${command} env=staging)`,
      );
    }
    if (Object.hasOwn(params, token.key)) {
      throw new CommandSyntaxError(`parameter '${token.key}' is given more than once`);
    }
    params[token.key] = token.value;
  }
  return { kind: "run", workflow, params };
}

function subcommand(tokens: Token[], prefix: string): Parsed {
  const [first, ...rest] = tokens;
  if (first === undefined) return { kind: "help" };
  if (first.type !== "word") {
    throw new CommandSyntaxError(
      `${prefix} needs a command first: run, retry, skip, resume, cancel, approve, status or help`,
    );
  }
  const word = first.text.toLowerCase();
  if (word === "help") return { kind: "help" };
  if (word === "run") {
    const [name, ...params] = rest;
    if (name?.type !== "word") {
      throw new CommandSyntaxError(`run needs a workflow name: ${prefix} run NAME key=value ...`);
    }
    return runCommand(name.text, params, `${prefix} run ${name.text}`);
  }
  if (word === "retry" || word === "skip" || STEERING.has(word)) {
    const { words, run } = targetOf(word, rest, prefix);
    const max = word === "retry" || word === "skip" ? 1 : 0;
    if (words.length > max) {
      const usage = max ? `${prefix} ${word} STEP [#RUN]` : `${prefix} ${word} [#RUN]`;
      throw new CommandSyntaxError(`unexpected word '${words[max]}': ${usage}`);
    }
    const at = run === undefined ? {} : { run };
    if (word === "retry")
      return { kind: "retry", ...(words[0] === undefined ? {} : { step: words[0] }), ...at };
    if (word === "skip") {
      if (words[0] === undefined) {
        throw new CommandSyntaxError(`skip needs the step to skip: ${prefix} skip STEP [#RUN]`);
      }
      return { kind: "skip", step: words[0], ...at };
    }
    return { kind: word as Steering, ...at };
  }
  return { kind: "unknown", word: first.text };
}

/** The positional words and the `#RUN` of a steering command; parameters are refused. */
function targetOf(word: string, tokens: Token[], prefix: string): { words: string[]; run?: string } {
  const words: string[] = [];
  let run: string | undefined;
  for (const token of tokens) {
    if (token.type === "param") {
      throw new CommandSyntaxError(`${prefix} ${word} takes no key=value parameters ('${token.key}')`);
    }
    if (token.type === "word") words.push(token.text);
    else if (run !== undefined)
      throw new CommandSyntaxError(`only one run can be named (#${run}, #${token.id})`);
    else run = token.id;
  }
  return run === undefined ? { words } : { words, run };
}

/** Splits the text after the command word into tokens; throws CommandSyntaxError. */
function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const n = text.length;
  while (i < n) {
    while (isSpace(text[i])) i++;
    if (i >= n) break;
    const start = i;
    if (text[i] === '"' || text[i] === "'") {
      const [value, next] = quoted(text, i);
      i = endOfToken(text, next);
      tokens.push({ type: "word", text: value });
      continue;
    }
    while (i < n && !isSpace(text[i]) && text[i] !== "=") i++;
    const head = text.slice(start, i);
    if (head.includes("`")) {
      throw new CommandSyntaxError(`inline code ('${head}') is not read as part of a command`);
    }
    if (text[i] !== "=") {
      tokens.push(head.startsWith("#") ? runRef(head) : { type: "word", text: head });
      continue;
    }
    if (!PARAM_KEY.test(head)) {
      throw new CommandSyntaxError(
        `'${head}' is not a parameter name (letters, digits, '_' and '-', starting with a letter or '_')`,
      );
    }
    i++;
    let value: string;
    if (text[i] === '"' || text[i] === "'") {
      [value, i] = quoted(text, i);
      i = endOfToken(text, i);
    } else {
      const from = i;
      while (i < n && !isSpace(text[i])) i++;
      value = text.slice(from, i);
      if (value.includes("`")) {
        throw new CommandSyntaxError(`inline code in parameter '${head}' is not read; write ${head}=value`);
      }
    }
    tokens.push({ type: "param", key: head, value });
  }
  return tokens;
}

function runRef(token: string): Token {
  const id = token.slice(1);
  if (!RUN_REF.test(id)) {
    throw new CommandSyntaxError(`'${token}' does not name a run: write #123 or #<run id>`);
  }
  return { type: "run", id };
}

/** Reads a quoted string starting at `at` (a `"` or `'`). `\"` and `\\` escape in double quotes. */
function quoted(text: string, at: number): [string, number] {
  const quote = text[at];
  let value = "";
  let i = at + 1;
  while (i < text.length) {
    const c = text[i] as string;
    if (c === quote) return [value, i + 1];
    if (quote === '"' && c === "\\" && (text[i + 1] === '"' || text[i + 1] === "\\")) {
      value += text[i + 1];
      i += 2;
      continue;
    }
    value += c;
    i++;
  }
  throw new CommandSyntaxError(`unterminated ${quote} quote: ${text.slice(at, at + 40)}`);
}

/** Any Unicode space (a phone may type a no-break space). */
function isSpace(c: string | undefined): boolean {
  return c !== undefined && /\s/.test(c);
}

function endOfToken(text: string, at: number): number {
  const c = text[at];
  if (c !== undefined && !isSpace(c)) {
    throw new CommandSyntaxError(
      `a quoted value must be followed by a space (at '${text.slice(at, at + 20)}')`,
    );
  }
  return at;
}
