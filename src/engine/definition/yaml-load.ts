/**
 * YAML text → data, within LIMITS: the file's size, and — checked token by token before the
 * parser builds anything — flow nesting, the number of values and of aliases. A file past a
 * limit is refused at the token that crosses it, so neither a bracket bomb nor an alias bomb
 * costs more than reading that far. Every problem carries the file's line and column.
 */
import { Buffer } from "node:buffer";
import { Composer, type Document, Lexer, LineCounter, Parser, type YAMLError } from "yaml";
import { errorMessage } from "../errors.js";
import { formatBytes, LIMITS } from "./limits.js";
import { type Locate, yamlLocator } from "./positions.js";
import { type Problem, sortProblems, WorkflowError } from "./problems.js";

/** What the text parsed to, and where each path of it is written. */
export interface Loaded {
  data: unknown;
  locate: Locate;
}

/** Thrown by the token guard; carries the offset of the token that crossed a limit. */
class LimitExceeded extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

const DEPTH_MESSAGE = `nests deeper than ${LIMITS.depth} levels of lists and mappings`;

/** Parses `text`; throws WorkflowError (syntax errors, limits) with file:line:column. */
export function loadYaml(text: string, file: string | undefined): Loaded {
  const problem = (message: string, at?: { line: number; col: number }): Problem => {
    const p: Problem = { path: "(root)", message };
    if (at) Object.assign(p, { line: at.line, column: at.col });
    return file === undefined ? p : { file, ...p };
  };
  const bytes = oversize(text);
  if (bytes !== undefined) {
    const message = `the file has ${bytes} bytes; a workflow file may have at most ${formatBytes(LIMITS.fileBytes)}`;
    throw new WorkflowError([problem(message)]);
  }
  const lines = new LineCounter();
  let doc: Document.Parsed;
  try {
    doc = compose(text, lines);
  } catch (e) {
    if (!(e instanceof LimitExceeded)) throw e;
    throw new WorkflowError([problem(e.message, lines.linePos(e.offset))]);
  }
  const syntax = doc.errors.map((e) => yamlProblem(e, lines, problem));
  if (syntax.length) throw new WorkflowError(sortProblems(syntax));
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: LIMITS.aliases });
  } catch (e) {
    throw new WorkflowError([problem(tooDeep(e) ? DEPTH_MESSAGE : errorMessage(e))]);
  }
  return { data, locate: yamlLocator(doc, lines) };
}

/** parseDocument(), with the guard between the lexer and the parser. */
function compose(text: string, lines: LineCounter): Document.Parsed {
  const parser = new Parser(lines.addNewLine);
  const composer = new Composer({ keepSourceTokens: true });
  const guard = tokenGuard(() => parser.offset);
  function* tokens() {
    lines.addNewLine(0); // as Parser.parse() does: line 1 starts at offset 0
    for (const lexeme of new Lexer().lex(text)) {
      guard(lexeme);
      yield* parser.next(lexeme);
    }
    yield* parser.end();
  }
  let doc: Document.Parsed | undefined;
  for (const next of composer.compose(tokens(), true, text.length)) {
    if (doc) {
      const at = next.range[0];
      throw new LimitExceeded("a workflow file holds one YAML document (remove the second '---')", at);
    }
    doc = next;
  }
  return doc as Document.Parsed;
}

/** Lexemes that start a value: a scalar marker, a quoted scalar, a block scalar header, `[`, `{`. */
const startsValue = (lexeme: string, first: string | undefined): boolean =>
  lexeme === "\u001f" || lexeme === "[" || lexeme === "{" || (first !== undefined && "\"'|>".includes(first));

/** Counts flow nesting, values and aliases as the lexer reads them; throws past a limit. */
function tokenGuard(offset: () => number): (lexeme: string) => void {
  let depth = 0;
  let values = 0;
  let aliases = 0;
  return (lexeme) => {
    const first = lexeme[0];
    if (lexeme === "[" || lexeme === "{") {
      if (++depth > LIMITS.depth) throw new LimitExceeded(DEPTH_MESSAGE, offset());
    } else if (lexeme === "]" || lexeme === "}") depth--;
    else if (first === "*" && ++aliases > LIMITS.aliases) {
      throw new LimitExceeded(`more than ${LIMITS.aliases} aliases ('*name')`, offset());
    }
    if (startsValue(lexeme, first) && ++values > LIMITS.values) {
      throw new LimitExceeded(`more than ${LIMITS.values} values (scalars, lists and mappings)`, offset());
    }
  };
}

function yamlProblem(
  e: YAMLError,
  lines: LineCounter,
  problem: (message: string, at?: { line: number; col: number }) => Problem,
): Problem {
  const at = lines.linePos(e.pos[0]);
  return problem(tooDeep(e) ? DEPTH_MESSAGE : e.message, at);
}

/** The parser or toJS ran out of stack: the file nests too deeply (block nesting). */
function tooDeep(e: unknown): boolean {
  return e instanceof RangeError || /Maximum call stack size exceeded/.test(errorMessage(e));
}

/** The text's size in UTF-8 bytes when it is above LIMITS.fileBytes, else undefined. */
function oversize(text: string): number | undefined {
  // A character takes at most 3 UTF-8 bytes (a surrogate pair 4 for 2 characters).
  if (text.length * 3 <= LIMITS.fileBytes) return undefined;
  const bytes = Buffer.byteLength(text, "utf8");
  return bytes > LIMITS.fileBytes ? bytes : undefined;
}
