import { InputError } from "../errors.js";
import { type Ast, ExpressionError } from "./ast.js";
import { FUNCTIONS } from "./functions.js";
import { parseExpression } from "./parser.js";
import { compare, isRecord, looseEquals, truthy } from "./values.js";

/** What expressions see while a run executes. */
export interface Scope {
  inputs: Record<string, unknown>;
  steps: Record<string, { outputs: Record<string, unknown>; outcome: string }>;
  /** The run: `key` and `metadata` as given at start (null and `{}` when none). */
  run?: { id: string; correlation_id: string; key?: string | null; metadata?: Record<string, unknown> };
  workflow?: { name: string };
  env?: Record<string, string>;
}

/** The names an expression may start with. */
export const ROOT_NAMES = ["inputs", "steps", "run", "workflow", "env"] as const;

/**
 * Evaluates an expression (text inside `${{ }}`, or its parsed form). Never runs code: only
 * own properties of plain objects and indices of arrays are read; anything else is null.
 * Throws InputError('unknown_output') for `steps.X.outputs.Y` when step X has no output Y.
 */
export function evaluateExpression(expression: Ast | string, scope: Scope): unknown {
  return evaluate(typeof expression === "string" ? parseExpression(expression) : expression, scope);
}

function evaluate(node: Ast, scope: Scope): unknown {
  switch (node.type) {
    case "literal":
      return node.value;
    case "identifier":
      return root(node.name, node.offset, scope);
    case "member":
      return member(node, scope);
    case "not":
      return !truthy(evaluate(node.operand, scope));
    case "call":
      return FUNCTIONS[node.name](
        node.args.map((arg) => evaluate(arg, scope)),
        node.offset,
      );
    case "binary":
      return binary(node, scope);
  }
}

function root(name: string, offset: number, scope: Scope): unknown {
  if (!(ROOT_NAMES as readonly string[]).includes(name)) {
    throw new ExpressionError(`unknown name '${name}' (known: ${ROOT_NAMES.join(", ")})`, offset);
  }
  return Object.hasOwn(scope, name) ? ((scope as unknown as Record<string, unknown>)[name] ?? null) : null;
}

type MemberNode = Extract<Ast, { type: "member" }>;

function keyOf(node: MemberNode, scope: Scope): unknown {
  return evaluate(node.property, scope);
}

function member(node: MemberNode, scope: Scope): unknown {
  const object = evaluate(node.object, scope);
  const key = keyOf(node, scope);
  const parent = node.object;
  if (
    parent.type === "member" &&
    parent.object.type === "member" &&
    parent.object.object.type === "identifier" &&
    parent.object.object.name === "steps" &&
    keyOf(parent, scope) === "outputs" &&
    isRecord(object)
  ) {
    const name = String(key);
    if (!Object.hasOwn(object, name)) {
      const step = String(keyOf(parent.object, scope));
      const known = Object.keys(object);
      const has = known.length ? `it has: ${known.join(", ")}` : "it has none";
      throw new InputError(
        "unknown_output",
        `steps.${step}.outputs.${name}: step '${step}' has no output '${name}' (${has})`,
      );
    }
  }
  return property(object, key);
}

/** Own properties and array indices only: `constructor`, `__proto__` and friends are null. */
export function property(object: unknown, key: unknown): unknown {
  if (Array.isArray(object)) {
    const index = typeof key === "string" && /^\d+$/.test(key) ? Number(key) : key;
    return typeof index === "number" && Number.isInteger(index) && index >= 0 && index < object.length
      ? (object[index] ?? null)
      : null;
  }
  if (!isRecord(object) || (typeof key !== "string" && typeof key !== "number")) return null;
  const name = String(key);
  return Object.hasOwn(object, name) ? (object[name] ?? null) : null;
}

function binary(node: Extract<Ast, { type: "binary" }>, scope: Scope): unknown {
  const left = evaluate(node.left, scope);
  if (node.op === "&&") return truthy(left) ? evaluate(node.right, scope) : left;
  if (node.op === "||") return truthy(left) ? left : evaluate(node.right, scope);
  const right = evaluate(node.right, scope);
  if (node.op === "==") return looseEquals(left, right);
  if (node.op === "!=") return !looseEquals(left, right);
  const order = compare(left, right);
  if (order === undefined) return false;
  if (node.op === "<") return order < 0;
  if (node.op === "<=") return order <= 0;
  if (node.op === ">") return order > 0;
  return order >= 0;
}
