/**
 * The `run` kind's security rule: values never become command text. Each `${{ expr }}` in the
 * command is replaced by a reference to an environment variable (`${STAGEFLOW_EXPR_<n>}`) that
 * holds the evaluated value, so the shell sees it only as data.
 */

import { toText as toEnvValue } from "../engine/expressions/index.js";
export interface ExpressionSite {
  /** The text between `${{` and `}}`, trimmed. */
  expression: string;
  start: number;
  /** Index just past the closing `}}`. */
  end: number;
}

/** Finds every `${{ ... }}` in `text`; a `}}` inside a quoted string does not close it. */
export function findExpressions(text: string): ExpressionSite[] {
  const sites: ExpressionSite[] = [];
  let from = 0;
  for (;;) {
    const start = text.indexOf("${{", from);
    if (start < 0) return sites;
    const end = closingBraces(text, start + 3);
    if (end < 0) throw new SyntaxError(`unterminated \${{ at offset ${start}: missing }}`);
    sites.push({ expression: text.slice(start + 3, end).trim(), start, end: end + 2 });
    from = end + 2;
  }
}

function closingBraces(text: string, from: number): number {
  let quote: string | undefined;
  for (let i = from; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === "\\" && quote === '"') i++;
      else if (c === quote) quote = undefined;
    } else if (c === "'" || c === '"') {
      quote = c;
    } else if (c === "}" && text[i + 1] === "}") {
      return i;
    }
  }
  return -1;
}

/** How a value becomes environment text: the expressions' rule (null → '', objects as JSON). */
export { toEnvValue };

/** An environment variable name: `envName("INPUT", "dry-run")` → `INPUT_DRY_RUN`. */
export function envName(prefix: string, name: string): string {
  return `${prefix}_${name.toUpperCase().replace(/[^A-Z0-9]/g, "_")}`;
}

export interface RewrittenCommand {
  command: string;
  /** `STAGEFLOW_EXPR_<n>` → evaluated value. */
  env: Record<string, string>;
}

/** Rewrites the expressions of `command` into variable references; equal expressions share one. */
export function rewriteCommand(command: string, evaluate: (expression: string) => unknown): RewrittenCommand {
  const names = new Map<string, string>();
  const env: Record<string, string> = {};
  let out = "";
  let last = 0;
  for (const site of findExpressions(command)) {
    let name = names.get(site.expression);
    if (name === undefined) {
      name = `STAGEFLOW_EXPR_${names.size}`;
      names.set(site.expression, name);
      env[name] = toEnvValue(evaluate(site.expression));
    }
    out += command.slice(last, site.start) + "${" + name + "}";
    last = site.end;
  }
  return { command: out + command.slice(last), env };
}
