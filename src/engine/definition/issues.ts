import type { z } from "zod";
import { describeValue, isRecord } from "./describe.js";
import type { RawProblem, Segment } from "./problems.js";
import { didYouMean } from "./suggest.js";

type Def = {
  type: string;
  format?: string;
  innerType?: Schema;
  element?: Schema;
  valueType?: Schema;
  options?: Schema[];
};
type Schema = { def: Def; shape?: Record<string, Schema> };

/** The schema that validates `path` (optional/default wrappers, lists and maps looked through). */
function schemaAt(schema: Schema, path: readonly Segment[]): Schema | undefined {
  let current: Schema | undefined = schema;
  for (let i = 0; current && i <= path.length;) {
    const def: Def = current.def;
    if (def.innerType) current = def.innerType;
    else if (def.type === "union") current = def.options?.find((option) => option.def.type === "object");
    else if (i === path.length) break;
    else if (def.type === "array") [current, i] = [def.element, i + 1];
    else if (def.type === "record") [current, i] = [def.valueType, i + 1];
    else if (def.type === "object") [current, i] = [current.shape?.[String(path[i])], i + 1];
    else return undefined;
  }
  return current;
}

function valueAt(data: unknown, path: readonly PropertyKey[]): unknown {
  let value = data;
  for (const segment of path) {
    if (Array.isArray(value) && typeof segment === "number") value = value[segment];
    else if (isRecord(value) && Object.hasOwn(value, String(segment))) value = value[String(segment)];
    else return undefined;
  }
  return value;
}

const EXPECTED: Record<string, string> = {
  int: "an integer",
  number: "a number",
  string: "a string",
  boolean: "a boolean (true or false)",
  array: "a list",
  object: "a mapping",
  record: "a mapping",
};

function expectedText(expected: string, path: readonly Segment[], schema: z.ZodType): string {
  const integer =
    expected === "number" && schemaAt(schema as unknown as Schema, path)?.def.format?.includes("int");
  return EXPECTED[integer ? "int" : expected] ?? expected;
}

/** Turns one zod issue into problems with our wording. */
export function issueProblems(issue: z.core.$ZodIssue, data: unknown, schema: z.ZodType): RawProblem[] {
  const path = issue.path.filter((s): s is Segment => typeof s !== "symbol");
  const value = valueAt(data, path);
  const parent = path.slice(0, -1);
  const last = path[path.length - 1];
  if (issue.code === "invalid_value" && value === undefined && last !== undefined) {
    return [{ path: parent, message: `missing required key '${last}'` }];
  }
  const custom = !/^(Too small|Too big|Invalid)\b/.test(issue.message);
  if (custom && ["too_small", "too_big", "invalid_value"].includes(issue.code))
    return [{ path, message: issue.message }];
  switch (issue.code) {
    case "unrecognized_keys": {
      const known = Object.keys(schemaAt(schema as unknown as Schema, path)?.shape ?? {});
      return issue.keys.map((key) => ({
        path,
        key,
        message: `unknown key '${key}'${didYouMean(key, known)}`,
      }));
    }
    case "invalid_type":
      if (path.length === 0 && (value === null || value === undefined)) {
        return [{ path, message: "the workflow is empty (it needs at least 'name' and 'stages')" }];
      }
      if (value === undefined && last !== undefined) {
        return [{ path: parent, message: `missing required key '${last}'` }];
      }
      return [
        {
          path,
          message: `expected ${expectedText(issue.expected, path, schema)}, got ${describeValue(value)}`,
        },
      ];
    case "invalid_value": {
      const allowed = issue.values.map(String);
      const guess = typeof value === "string" ? didYouMean(value, allowed) : "";
      return [
        { path, message: `expected one of ${allowed.join(", ")}, got ${describeValue(value)}${guess}` },
      ];
    }
    case "too_small":
    case "too_big": {
      const bound = issue.code === "too_small" ? issue.minimum : issue.maximum;
      const word = issue.code === "too_small" ? "at least" : "at most";
      if (issue.code === "too_small" && Number(bound) === 1 && issue.origin !== "number") {
        return [{ path, message: "must not be empty" }];
      }
      const unit = issue.origin === "array" ? " items" : issue.origin === "string" ? " characters" : "";
      const got = unit ? "" : `, got ${describeValue(value)}`;
      return [{ path, message: `must ${unit ? "have" : "be"} ${word} ${String(bound)}${unit}${got}` }];
    }
    case "invalid_key": {
      const inner = issue.issues[0]?.message ?? "invalid name";
      const reason = inner.startsWith("Invalid") ? "not a valid name" : inner;
      return [{ path: parent, key: String(last), message: `invalid name '${String(last)}': ${reason}` }];
    }
    default:
      return [{ path, message: issue.message }];
  }
}
