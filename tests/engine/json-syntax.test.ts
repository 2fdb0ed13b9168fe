import { describe, expect, it } from "vitest";
import { jsonSyntaxProblem, jsonSyntaxWhere } from "../../src/engine/json-syntax.js";

describe("jsonSyntaxProblem: where a text stops being JSON, without quoting it", () => {
  it("names the position, line and column and what was expected", () => {
    expect(jsonSyntaxProblem('{"a": 1}')).toBeNull();
    expect(jsonSyntaxProblem('{"user": "bob", "password": hunter2}')).toEqual({
      position: 28,
      line: 1,
      column: 29,
      problem: "expected a value",
    });
    expect(jsonSyntaxWhere('{"user": "bob", "password": hunter2}')).not.toMatch(/hunt|bob|user/);
    expect(jsonSyntaxWhere('{\n  "a": 1,\n  "b" 2\n}')).toBe("at line 3, column 7: expected ':'");
    expect(jsonSyntaxWhere("[1, 2")).toBe("at position 5: expected ',' or ']', found the end of the text");
    expect(jsonSyntaxWhere("")).toBe("at position 0: expected a value, found the end of the text");
    expect(jsonSyntaxWhere('{"a": 1,}')).toBe(
      "at position 8: expected a property name (a string in double quotes)",
    );
    expect(jsonSyntaxWhere('"tab\there"')).toBe(
      "at position 4: found a control character in a string (it must be escaped)",
    );
    expect(jsonSyntaxWhere("01")).toBe("at position 1: expected the end of the text after the value");
  });

  it("agrees with JSON.parse on what is JSON (20,000 mutated texts)", () => {
    // Deterministic pseudo-random texts from JSON's own characters (and a few that are not).
    let seed = 42;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const alphabet = [
      "{",
      "}",
      "[",
      "]",
      '"',
      ":",
      ",",
      " ",
      "\n",
      "-",
      "0",
      "1",
      "9",
      ".",
      "e",
      "E",
      "+",
      "\\",
      "u",
      "t",
      "r",
      "n",
      "l",
      "f",
      "a",
      "s",
      "x",
      "\t",
    ];
    const samples = ['{"a":[1,2,{"b":null}],"c":"\\u00e9\\n"}', "[true,false,null,-0.5e+3]", '"x"'];
    for (let i = 0; i < 20_000; i++) {
      const base = samples[i % samples.length] as string;
      // Mutate a valid sample at one or two places, or make a short random text.
      let text = i % 4 === 0 ? "" : base;
      const edits = i % 4 === 0 ? 1 + Math.floor(next() * 8) : 1 + Math.floor(next() * 2);
      for (let j = 0; j < edits; j++) {
        const at = Math.floor(next() * (text.length + 1));
        const ch = alphabet[Math.floor(next() * alphabet.length)] as string;
        text =
          next() < 0.5
            ? text.slice(0, at) + ch + text.slice(at + 1)
            : text.slice(0, at) + ch + text.slice(at);
      }
      let valid = true;
      try {
        JSON.parse(text);
      } catch {
        valid = false;
      }
      const found = jsonSyntaxProblem(text);
      expect(found === null, JSON.stringify(text)).toBe(valid);
      if (found) expect(found.position).toBeLessThanOrEqual(text.length);
    }
  });

  it("says nothing rather than overflow on a text nested too deep for it", () => {
    expect(jsonSyntaxWhere("[".repeat(200_000))).toBe("");
  });
});
