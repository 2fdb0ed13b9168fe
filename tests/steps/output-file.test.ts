import { describe, expect, it } from "vitest";
import { OutputFileError, parseOutputFile } from "../../src/steps/output-file.js";

describe("parseOutputFile", () => {
  it("parses name=value lines; the first '=' splits; later lines win", () => {
    expect(parseOutputFile("a=1\r\nb=x=y\n\nc=\na=2")).toEqual({ a: "2", b: "x=y", c: "" });
  });

  it("parses heredocs, including '=' and blank lines inside", () => {
    const text = ["notes<<EOF", "line 1", "", "k=v", "EOF", "after=1", ""].join("\n");
    expect(parseOutputFile(text)).toEqual({ notes: "line 1\n\nk=v", after: "1" });
  });

  it("treats 'name=a<<b' as a plain value", () => {
    expect(parseOutputFile("cmd=cat <<EOF")).toEqual({ cmd: "cat <<EOF" });
  });

  it("keeps __proto__ as an ordinary key", () => {
    const out = parseOutputFile("__proto__=x");
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.hasOwn(out, "__proto__")).toBe(true);
  });

  it.each([
    ["a=1\njust text", /line 2: expected name=value or name<<DELIMITER/],
    ["a=1\n\nnotes<<EOF\nx\n", /line 3: heredoc 'notes<<EOF' is never closed/],
    ["notes<<", /line 1: missing heredoc delimiter/],
    ["bad name=1", /line 1: invalid output name "bad name"/],
    ["=1", /line 1: invalid output name ""/],
  ])("names the line of a malformed file: %j", (text, message) => {
    expect(() => parseOutputFile(text)).toThrow(OutputFileError);
    expect(() => parseOutputFile(text)).toThrow(message);
  });
});
