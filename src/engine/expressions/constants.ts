import { type Ast, ExpressionError } from "./ast.js";
import { evaluateExpression, type Scope } from "./evaluate.js";

const NOTHING: Scope = { inputs: {}, steps: {} };

/**
 * The error that the expression's constant parts throw, found without running anything: a part
 * that reads no name (`format('{1}', 'a')`, `fromJSON('{')`) is evaluated here exactly as a run
 * would evaluate it, so what fails at every run fails `validate` with the same message.
 */
export function constantError(ast: Ast): ExpressionError | undefined {
  if (isConstant(ast)) {
    if (ast.type === "literal") return undefined;
    try {
      evaluateExpression(ast, NOTHING);
      return undefined;
    } catch (e) {
      if (e instanceof ExpressionError) return e;
      throw e;
    }
  }
  for (const child of children(ast)) {
    const error = constantError(child);
    if (error) return error;
  }
  return undefined;
}

function isConstant(ast: Ast): boolean {
  return ast.type !== "identifier" && children(ast).every(isConstant);
}

function children(ast: Ast): Ast[] {
  switch (ast.type) {
    case "literal":
    case "identifier":
      return [];
    case "not":
      return [ast.operand];
    case "binary":
      return [ast.left, ast.right];
    case "member":
      return [ast.object, ast.property];
    case "call":
      return ast.args;
  }
}
