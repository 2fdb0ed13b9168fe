import { InputError } from "../errors.js";
import type { ReasonCode } from "../reasons.js";

/** The syntax tree of one expression (the text inside `${{ }}`). Offsets are 0-based. */
export type Ast =
  | { type: "literal"; value: string | number | boolean | null; offset: number }
  | { type: "identifier"; name: string; offset: number }
  | { type: "member"; object: Ast; property: Ast; computed: boolean; offset: number }
  | { type: "not"; operand: Ast; offset: number }
  | { type: "binary"; op: BinaryOp; left: Ast; right: Ast; offset: number }
  | { type: "call"; name: FunctionName; args: Ast[]; offset: number };

export type BinaryOp = "==" | "!=" | "<" | "<=" | ">" | ">=" | "&&" | "||";

export const FUNCTION_NAMES = [
  "contains",
  "startsWith",
  "endsWith",
  "format",
  "join",
  "toJSON",
  "fromJSON",
] as const;
export type FunctionName = (typeof FUNCTION_NAMES)[number];

/**
 * A malformed expression, or one that cannot be evaluated. The message ends with
 * `at column N` (1-based, within the expression or template text).
 */
export class ExpressionError extends InputError {
  /** 1-based column of `offset`. */
  readonly column: number;
  constructor(
    /** The message without its position. */
    readonly detail: string,
    /** 0-based offset in the expression or template text. */
    readonly offset: number,
    reason: ReasonCode = "definition_invalid",
  ) {
    super(reason, `${detail} at column ${offset + 1}`);
    this.column = offset + 1;
  }
}

export const isExpressionError = (e: unknown): e is ExpressionError => e instanceof ExpressionError;
