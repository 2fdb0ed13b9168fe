import { InputError } from "../errors.js";
import { templateParts } from "../expressions/index.js";

/** `if:` as written (`${{ x }}`, `x` or a boolean) → the expression text `x`. */
export function conditionExpression(value: string | boolean): string {
  if (typeof value === "boolean") return String(value);
  const text = value.trim();
  if (!text.includes("${{")) return text;
  const parts = templateParts(text);
  const [only] = parts;
  if (parts.length === 1 && only?.type === "expression") return only.text;
  throw new InputError(
    "definition_invalid",
    "a condition is one expression: write it bare, or wrap all of it in '${{ }}'",
  );
}
