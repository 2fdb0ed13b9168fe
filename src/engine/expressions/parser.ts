import { type Ast, type BinaryOp, ExpressionError, FUNCTION_NAMES, type FunctionName } from "./ast.js";
import { LIMITS } from "../definition/limits.js";
import { type Token, tokenize } from "./tokenizer.js";

/** Arity of each function: [minimum, maximum]. */
const ARITY: Record<FunctionName, [number, number]> = {
  contains: [2, 2],
  startsWith: [2, 2],
  endsWith: [2, 2],
  format: [1, Number.POSITIVE_INFINITY],
  join: [1, 2],
  toJSON: [1, 1],
  fromJSON: [1, 1],
};

/** Operators by binding strength, weakest first (as in GitHub Actions). */
const LEVELS: readonly (readonly BinaryOp[])[] = [["||"], ["&&"], ["==", "!="], ["<", "<=", ">", ">="]];

/**
 * Parses the text inside `${{ }}`. Throws ExpressionError naming the column of the problem, also
 * for an expression longer than LIMITS.expressionLength or nested deeper than
 * LIMITS.expressionDepth (parentheses, `!`, `[ ]`, function calls).
 */
export function parseExpression(text: string): Ast {
  if (text.length > LIMITS.expressionLength) {
    throw new ExpressionError(
      `an expression has at most ${LIMITS.expressionLength} characters, got ${text.length}`,
      LIMITS.expressionLength,
    );
  }
  const parser = new Parser(tokenize(text));
  if (parser.peek().type === "eof") throw new ExpressionError("empty expression", 0);
  const ast = parser.binary(0);
  parser.expectEnd();
  return ast;
}

function describe(token: Token): string {
  if (token.type === "eof") return "end of expression";
  if (token.type === "string") return `string '${token.value}'`;
  if (token.type === "number") return `'${token.text}'`;
  return `'${token.value}'`;
}

class Parser {
  private pos = 0;
  private depth = 0;
  constructor(private readonly tokens: Token[]) {}

  /** Runs `parse` one level deeper; past LIMITS.expressionDepth, an error at `offset`. */
  private nested(offset: number, parse: () => Ast): Ast {
    if (++this.depth > LIMITS.expressionDepth) {
      throw new ExpressionError(`an expression nests at most ${LIMITS.expressionDepth} levels deep`, offset);
    }
    const ast = parse();
    this.depth--;
    return ast;
  }

  peek(): Token {
    return this.tokens[this.pos] as Token;
  }

  private next(): Token {
    const token = this.peek();
    if (token.type !== "eof") this.pos++;
    return token;
  }

  private isPunct(value: string): boolean {
    const token = this.peek();
    return token.type === "punct" && token.value === value;
  }

  private expect(value: string): void {
    if (!this.isPunct(value)) this.unexpected();
    this.next();
  }

  private unexpected(): never {
    const token = this.peek();
    throw new ExpressionError(
      `unexpected ${token.type === "eof" ? "" : "token "}${describe(token)}`,
      token.offset,
    );
  }

  expectEnd(): void {
    if (this.peek().type !== "eof") this.unexpected();
  }

  binary(level: number): Ast {
    const ops = LEVELS[level];
    if (!ops) return this.unary();
    let left = this.binary(level + 1);
    for (;;) {
      const token = this.peek();
      const op = ops.find((o) => token.type === "punct" && token.value === o);
      if (!op) return left;
      this.next();
      const right = this.binary(level + 1);
      left = { type: "binary", op, left, right, offset: token.offset };
    }
  }

  private unary(): Ast {
    const token = this.peek();
    if (this.isPunct("!")) {
      this.next();
      return { type: "not", operand: this.nested(token.offset, () => this.unary()), offset: token.offset };
    }
    return this.postfix(this.primary());
  }

  private postfix(start: Ast): Ast {
    let node = start;
    for (;;) {
      const token = this.peek();
      if (this.isPunct(".")) {
        this.next();
        const name = this.peek();
        if (name.type !== "ident") this.unexpected();
        this.next();
        const property: Ast = { type: "literal", value: name.value, offset: name.offset };
        node = { type: "member", object: node, property, computed: false, offset: token.offset };
      } else if (this.isPunct("[")) {
        this.next();
        const property = this.nested(token.offset, () => this.binary(0));
        this.expect("]");
        node = { type: "member", object: node, property, computed: true, offset: token.offset };
      } else {
        return node;
      }
    }
  }

  private primary(): Ast {
    const token = this.peek();
    const offset = token.offset;
    const isParen = token.type === "punct" && token.value === "(";
    if (token.type === "punct" && !isParen) this.unexpected();
    if (token.type === "eof") this.unexpected();
    this.next();
    if (token.type === "string" || token.type === "number")
      return { type: "literal", value: token.value, offset };
    if (token.type !== "ident") {
      const inner = this.nested(offset, () => this.binary(0));
      this.expect(")");
      return inner;
    }
    if (token.value === "true" || token.value === "false") {
      return { type: "literal", value: token.value === "true", offset };
    }
    if (token.value === "null") return { type: "literal", value: null, offset };
    if (!this.isPunct("(")) return { type: "identifier", name: token.value, offset };
    return this.call(token.value, offset);
  }

  private call(written: string, offset: number): Ast {
    const name = FUNCTION_NAMES.find((f) => f.toLowerCase() === written.toLowerCase());
    if (!name) {
      throw new ExpressionError(
        `unknown function '${written}' (known: ${FUNCTION_NAMES.join(", ")})`,
        offset,
      );
    }
    this.expect("(");
    const args: Ast[] = [];
    if (!this.isPunct(")")) {
      const arg = () => this.nested(this.peek().offset, () => this.binary(0));
      args.push(arg());
      while (this.isPunct(",")) {
        this.next();
        args.push(arg());
      }
    }
    this.expect(")");
    const [min, max] = ARITY[name];
    if (args.length < min || args.length > max) {
      const wanted =
        min === max ? `${min}` : max === Number.POSITIVE_INFINITY ? `at least ${min}` : `${min} or ${max}`;
      throw new ExpressionError(`${name}() takes ${wanted} argument(s), got ${args.length}`, offset);
    }
    return { type: "call", name, args, offset };
  }
}
