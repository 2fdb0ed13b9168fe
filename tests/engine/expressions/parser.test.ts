import { describe, expect, it } from "vitest";
import {
  type Ast,
  constantError,
  ExpressionError,
  evaluateExpression,
  parseExpression,
} from "../../../src/engine/expressions/index.js";

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

  it("exposes the offset of an error and reason definition_invalid", () => {
    const error = errorOf("a == )");
    expect(error).toMatchObject({
      offset: 5,
      column: 6,
      detail: "unexpected token ')'",
      reason: "definition_invalid",
    });
  });
});

describe("bounds", () => {
  it("refuses nesting past 32 levels with an ExpressionError, not a RangeError", () => {
    expect(errorOf(`${"(".repeat(1200)}true${")".repeat(1200)}`).message).toBe(
      "an expression nests at most 32 levels deep at column 33",
    );
    expect(errorOf(`${"!".repeat(1200)}true`).message).toBe(
      "an expression nests at most 32 levels deep at column 33",
    );
    expect(errorOf(`${"format(".repeat(40)}'x'${")".repeat(40)}`).message).toMatch(/nests at most 32 levels/);
    expect(errorOf(`a${"[b".repeat(40)}${"]".repeat(40)}`).message).toMatch(/nests at most 32 levels/);
    expect(show(parseExpression(`${"(".repeat(32)}a${")".repeat(32)}`))).toBe("a");
  });

  it("refuses an expression longer than 4096 characters", () => {
    expect(errorOf(`'${"x".repeat(4095)}'`).message).toBe(
      "an expression has at most 4096 characters, got 4097 at column 4097",
    );
  });

  it("evaluates the longest chains it accepts without running out of stack", () => {
    const chain = Array.from({ length: 1365 }, () => "0").join("||"); // 4093 characters
    expect(evaluateExpression(chain, { inputs: {}, steps: {} })).toBe(0);
    const members = `inputs${".a".repeat(2040)}`;
    expect(evaluateExpression(members, { inputs: {}, steps: {} })).toBe(null);
  });
});

describe("constant parts", () => {
  const constant = (text: string) => constantError(parseExpression(text))?.message;
  it("finds what fails at every run, and nothing else", () => {
    expect(constant("format('{1}', 'a')")).toBe("format(): '{1}' has no argument (got 1) at column 1");
    expect(constant("inputs.x && format('{')")).toBe("format(): unmatched '{' in '{' at column 13");
    expect(constant("fromJSON('{\"a\": 1}').a == 1 && format('{0}', inputs.x)")).toBeUndefined();
    expect(constant("format(inputs.pattern)")).toBeUndefined();
    expect(constant("false && inputs.x")).toBeUndefined();
  });
});
