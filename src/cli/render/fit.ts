/**
 * Fits the live view's lines (an indented tree: run, stages, steps) into a terminal's height,
 * so that redrawing in place never scrolls: a frame taller than the screen cannot be moved back
 * over and floods the scrollback. Each level is tried in turn until the frame fits:
 *   1. everything;
 *   2. finished stages without their steps;
 *   3. also, in the other stages, only the steps at work, the rest summed up in one line;
 *   4. the first lines, and a line saying how many more there are.
 */
export function fitLines(lines: readonly string[], maxLines: number): string[] {
  if (lines.length <= maxLines) return [...lines];
  const tree = parse(lines);
  for (const level of [collapseFinished, summariseIdle]) {
    const fitted = flatten(tree.map(level));
    if (fitted.length <= maxLines) return fitted;
  }
  const last = flatten(tree.map(summariseIdle));
  const keep = Math.max(0, maxLines - 1);
  return [...last.slice(0, keep), `… ${last.length - keep} more lines (enlarge the terminal to see them)`];
}

interface Node {
  line: string;
  indent: number;
  children: Node[];
}

/** Status symbols of things that are over (see format.ts). */
const FINISHED = new Set(["✔", "✖", "⊘", "↷"]);
/** Status symbols of things at work: running, retrying, waiting. */
const ACTIVE = new Set(["▸", "↻", "⏸"]);

function parse(lines: readonly string[]): Node[] {
  const roots: Node[] = [];
  const stack: Node[] = [];
  for (const line of lines) {
    const node: Node = { line, indent: line.length - line.trimStart().length, children: [] };
    while (stack.length > 0 && (stack[stack.length - 1] as Node).indent >= node.indent) stack.pop();
    const parent = stack[stack.length - 1];
    if (parent) parent.children.push(node);
    else roots.push(node);
    stack.push(node);
  }
  return roots;
}

function flatten(nodes: readonly Node[]): string[] {
  return nodes.flatMap((n) => [n.line, ...flatten(n.children)]);
}

const symbolOf = (node: Node) => node.line.trimStart().charAt(0);
/** `✔ check  succeeded  90ms` → `succeeded`. */
const statusOf = (node: Node) => node.line.trimStart().split("  ")[1] ?? "?";

/** A run with its finished stages' steps left out. */
function collapseFinished(run: Node): Node {
  return {
    ...run,
    children: run.children.map((stage) =>
      FINISHED.has(symbolOf(stage)) ? { ...stage, children: [] } : stage,
    ),
  };
}

/** As collapseFinished, and the other stages keep only their active steps plus a summary line. */
function summariseIdle(run: Node): Node {
  const collapsed = collapseFinished(run);
  return {
    ...collapsed,
    children: collapsed.children.map((stage) => {
      const active = stage.children.filter((step) => ACTIVE.has(symbolOf(step)));
      const idle = stage.children.filter((step) => !ACTIVE.has(symbolOf(step)));
      if (idle.length === 0) return stage;
      const counts = new Map<string, number>();
      for (const step of idle) counts.set(statusOf(step), (counts.get(statusOf(step)) ?? 0) + 1);
      const summary = [...counts].map(([status, n]) => `${n} ${status}`).join(", ");
      const indent = " ".repeat(stage.children[0]?.indent ?? stage.indent + 4);
      const line = `${indent}… ${idle.length} more ${idle.length === 1 ? "step" : "steps"}: ${summary}`;
      return { ...stage, children: [...active, { line, indent: indent.length, children: [] }] };
    }),
  };
}
