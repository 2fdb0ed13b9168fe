/**
 * Recovery patterns' `match`: regular expressions in RE2 syntax, matched by re2js in time linear
 * in the text (no backtracking), so no pattern and no error message can stall the engine. RE2 has
 * no lookaround and no backreferences; a pattern using them is refused when the file is checked.
 * Patterns are bounded (length, compiled size), so compiling and matching them costs little
 * whatever the file says.
 */
import { RE2JS } from "re2js";
import { LIMITS } from "../definition/limits.js";
import { estimateSize } from "./match-size.js";

/** A compiled `match`: searched case-insensitively anywhere in a text. */
export interface Matcher {
  /** The pattern as written. */
  readonly source: string;
  test(text: string): boolean;
}

interface Compiled {
  re?: RE2JS;
  error?: string;
}

/** Why `source` cannot be a pattern (`missing closing )`), or undefined when it can. */
export function matchError(source: string): string | undefined {
  return compile(source).error;
}

/** The size of the compiled pattern (RE2 instructions; 0 when it does not compile). */
export function matchSize(source: string): number {
  return compile(source).re?.programSize() ?? 0;
}

/** Compiles `source`; throws a TypeError naming the reason when it is not a valid pattern. */
export function compileMatch(source: string): Matcher {
  const { re, error } = compile(source);
  if (!re) throw new TypeError(error);
  return { source, test: (text) => re.test(text) };
}

// No cache here: the engine compiles a workflow version's patterns once and keeps them (per
// engine, see Engine.patternsOf); checking a file compiles each pattern a few times at most.
function compile(source: string): Compiled {
  if (source.length > LIMITS.patternLength) {
    return { error: `at most ${LIMITS.patternLength} characters, got ${source.length}` };
  }
  // Compiling costs in proportion to the program: refuse what is far too large beforehand.
  const estimate = estimateSize(source);
  if (estimate > 2 * LIMITS.patternSize) return { error: tooLarge(`about ${estimate}`) };
  let re: RE2JS;
  try {
    re = RE2JS.compile(source, RE2JS.CASE_INSENSITIVE);
  } catch (e) {
    return { error: explain(source, e instanceof Error ? e.message : String(e)) };
  }
  const size = re.programSize();
  return size > LIMITS.patternSize ? { error: tooLarge(String(size)) } : { re };
}

const tooLarge = (size: string) =>
  `the pattern is too large: it compiles to ${size} RE2 instructions, at most ${LIMITS.patternSize} (use smaller repeat counts)`;

const RE2_SYNTAX = "patterns use RE2 syntax, which matches in linear time";

function explain(source: string, message: string): string {
  if (/\(\?<?[=!]/.test(source)) {
    return `lookahead and lookbehind ('(?=', '(?!', '(?<=', '(?<!') are not supported: ${RE2_SYNTAX}`;
  }
  if (/\\[1-9]|\\k</.test(source)) {
    return `backreferences ('\\1', '\\k<name>') are not supported: ${RE2_SYNTAX}`;
  }
  // re2js reports the pattern with the case-insensitive flag it compiled it with.
  return `${message.replace(/^error parsing regexp: /, "").replace("`(?i)", "`")} (RE2 syntax)`;
}
