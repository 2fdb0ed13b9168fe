import { type Document, isAlias, isMap, isScalar, isSeq, type LineCounter, type Pair } from "yaml";
import type { Segment } from "./problems.js";

export interface Position {
  line: number;
  column: number;
}

/** Finds where a path (or, with `key`, that key of the object at the path) is written. */
export type Locate = (path: readonly Segment[], key?: string) => Position | undefined;

type Ranged = { range?: [number, number, number] | null };

function start(node: unknown): number | undefined {
  return (node as Ranged | null)?.range?.[0] ?? undefined;
}

function pairOf(node: unknown, key: string): Pair | undefined {
  if (!isMap(node)) return undefined;
  return node.items.find((pair) => String(isScalar(pair.key) ? pair.key.value : pair.key) === key);
}

/**
 * Locates paths in a parsed YAML document: the deepest node of the path that exists, so a
 * missing key points at the object that lacks it.
 */
export function yamlLocator(doc: Document, lines: LineCounter): Locate {
  const deref = (node: unknown): unknown => (isAlias(node) ? node.resolve(doc) : node);
  return (path, key) => {
    let node = deref(doc.contents);
    let offset = start(node);
    for (const segment of path) {
      if (isSeq(node) && typeof segment === "number") {
        const item = node.items[segment];
        if (item === undefined) break;
        node = deref(item);
      } else {
        const pair = pairOf(node, String(segment));
        if (!pair) break;
        if (pair.value === null || start(pair.value) === undefined) {
          offset = start(pair.key) ?? offset;
          node = undefined;
          break;
        }
        node = deref(pair.value);
      }
      offset = start(node) ?? offset;
    }
    if (key !== undefined) offset = start(pairOf(node, key)?.key) ?? offset;
    if (offset === undefined) return undefined;
    const { line, col } = lines.linePos(offset);
    return { line, column: col };
  };
}
