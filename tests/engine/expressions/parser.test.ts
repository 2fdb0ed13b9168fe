import { describe, expect, it } from "vitest";
import { type Ast, ExpressionError, parseExpression } from "../../../src/engine/expressions/index.js";

/** A compact rendering of the tree: shows how operators grouped. */
function show(node: Ast): string {
  switch (node.type) {
    case "literal":
      return JSON.stringify(node.value);
    case "identifier":
      return node.name;
    case "member":
      return `${show(node.object)}[${show(node.property)}]`;
    case "not":
      return `!(${show(node.operand)})`;
    case "binary":
      return `(${show(node.left)} ${node.op} ${show(node.right)})`;
    case "call":
      return `${node.name}(${node.args.map(show).join(", ")})`;
  }
}

function errorOf(text: string): ExpressionError {
  try {
    parseExpression(text);
  } catch (e) {
    if (e instanceof ExpressionError) return e;
    throw e;
  }
  throw new Error(`expected '${text}' not to parse`);
}

describe("parseExpression", () => {
  it("parses literals", () => {
    expect(show(parseExpression("'it''s'"))).toBe('"it\'s"');
    expect(show(parseExpression("-1.5e2"))).toBe("-150");
    expect(show(parseExpression(".5"))).toBe("0.5");
    expect(show(parseExpression("true"))).toBe("true");
    expect(show(parseExpression("null"))).toBe("null");
  });

  it("parses property paths and indexes, with '-' allowed in names", () => {
    expect(show(parseExpression("steps.my-step.outputs['a b'][0]"))).toBe(
      'steps["my-step"]["outputs"]["a b"][0]',
    );
  });

  it("binds ! tighter than comparisons, comparisons than ==, == than &&, && than ||", () => {
    expect(show(parseExpression("a || b && c == d < e"))).toBe("(a || (b && (c == (d < e))))");
    expect(show(parseExpression("!a == b"))).toBe("(!(a) == b)");
    expect(show(parseExpression("(a || b) && c"))).toBe("((a || b) && c)");
    expect(show(parseExpression("a != b != c"))).toBe("((a != b) != c)");
  });

  it("parses function calls, case-insensitively", () => {
    expect(show(parseExpression("FORMAT('{0}', startswith(a, 'x'))"))).toBe(
      'format("{0}", startsWith(a, "x"))',
    );
  });

  it("reports errors with their column", () => {
    expect(errorOf("inputs.a )").message).toBe("unexpected token ')' at column 10");
    expect(errorOf("(a || b").message).toBe("unexpected end of expression at column 8");
    expect(errorOf("a + b").message).toBe("unexpected character '+' at column 3");
    expect(errorOf("a == 'open").message).toBe("unterminated string at column 6");
    expect(errorOf("a.1").message).toBe("unexpected token '.1' at column 2");
    expect(errorOf("a.").message).toBe("unexpected end of expression at column 3");
    expect(errorOf("").message).toBe("empty expression at column 1");
    expect(errorOf("a b").message).toBe("unexpected token 'b' at column 3");
  });

  it("knows its functions and their arity", () => {
    expect(errorOf("x == eval('1')").message).toBe(
      "unknown function 'eval' (known: contains, startsWith, endsWith, format, join, toJSON, fromJSON) at column 6",
    );
    expect(errorOf("contains('a')").message).toBe("contains() takes 2 argument(s), got 1 at column 1");
    expect(errorOf("format()").message).toBe("format() takes at least 1 argument(s), got 0 at column 1");
    expect(errorOf("join(a, b, c)").message).toBe("join() takes 1 or 2 argument(s), got 3 at column 1");
  });

  it("exposes the offset of an error and reason invalid_definition", () => {
    const error = errorOf("a == )");
    expect(error).toMatchObject({
      offset: 5,
      column: 6,
      detail: "unexpected token ')'",
      reason: "invalid_definition",
    });
  });
});
