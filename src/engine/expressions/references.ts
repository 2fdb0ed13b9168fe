import type { Ast } from "./ast.js";
import { parseExpression } from "./parser.js";

/** A static reference to a step's result, an input or a property of the run, found in an expression. */
export type Reference =
  /** `steps.X.outputs.Y` (output set), `steps.X.outcome` (property set) or `steps.X`. */
  | { kind: "steps"; step: string; output?: string; property?: string; offset: number }
  | { kind: "inputs"; name: string; offset: number }
  /** `run.X` (`run.metadata.…` is one reference to `metadata`: its contents are the host's). */
  | { kind: "run"; property: string; offset: number };

/** What `run.` has while a run executes (see Scope.run). */
export const RUN_PROPERTIES = ["id", "correlation_id", "key", "metadata"] as const;

type Path = { root: Extract<Ast, { type: "identifier" }>; segments: (string | undefined)[] };

/** Every `steps.…`, `inputs.…` and `run.…` reference whose names are written literally. */
export function findReferences(expression: Ast | string): Reference[] {
  const references: Reference[] = [];
  for (const { root, segments } of paths(expression)) {
    const [first, second, third] = segments;
    if (first === undefined) continue;
    const offset = root.offset;
    if (root.name === "inputs") references.push({ kind: "inputs", name: first, offset });
    if (root.name === "run") references.push({ kind: "run", property: first, offset });
    if (root.name !== "steps") continue;
    if (second === "outputs" && third !== undefined) {
      references.push({ kind: "steps", step: first, output: third, offset });
    } else if (second !== undefined && second !== "outputs") {
      references.push({ kind: "steps", step: first, property: second, offset });
    } else {
      references.push({ kind: "steps", step: first, offset });
    }
  }
  return references;
}

/** The names expressions start from (`inputs`, `steps`, ... or an unknown `foo`). */
export function rootNames(expression: Ast | string): { name: string; offset: number }[] {
  return paths(expression).map(({ root }) => ({ name: root.name, offset: root.offset }));
}

function paths(expression: Ast | string): Path[] {
  const found: Path[] = [];
  visit(typeof expression === "string" ? parseExpression(expression) : expression, found);
  return found;
}

function visit(node: Ast, found: Path[]): void {
  switch (node.type) {
    case "literal":
      return;
    case "identifier":
      found.push({ root: node, segments: [] });
      return;
    case "not":
      visit(node.operand, found);
      return;
    case "binary":
      visit(node.left, found);
      visit(node.right, found);
      return;
    case "call":
      for (const arg of node.args) visit(arg, found);
      return;
    case "member":
      visitMember(node, found);
  }
}

/** A member chain `a.b['c'][x]`: one path from its root, plus whatever the computed keys use. */
function visitMember(node: Ast, found: Path[]): void {
  const segments: (string | undefined)[] = [];
  const computed: Ast[] = [];
  let current = node;
  while (current.type === "member") {
    const key = current.property;
    segments.unshift(key.type === "literal" && key.value !== null ? String(key.value) : undefined);
    if (current.computed) computed.push(key);
    current = current.object;
  }
  if (current.type === "identifier") found.push({ root: current, segments });
  else visit(current, found);
  for (const key of computed) visit(key, found);
}
