/** Where a path of a YAML document is written, for problems the schema checks do not place. */
import { type Document, isMap, isScalar, isSeq, LineCounter, parseDocument } from "yaml";

export type YamlPath = readonly (string | number)[];

/**
 * The offset of the node at `path` (or of `key` in the mapping there): the deepest part of the
 * path that exists, so a missing key points at the mapping that lacks it.
 */
export function nodeOffset(doc: Document, path: YamlPath, key?: string): number | undefined {
  let node: unknown = doc.contents;
  let offset = rangeStart(node);
  for (const segment of path) {
    if (isSeq(node) && typeof segment === "number") node = node.items[segment];
    else if (isMap(node)) node = node.items.find((pair) => keyText(pair.key) === String(segment))?.value;
    else node = undefined;
    if (rangeStart(node) === undefined) break;
    offset = rangeStart(node);
  }
  if (key !== undefined && isMap(node)) {
    const pair = node.items.find((p) => keyText(p.key) === key);
    offset = rangeStart(pair?.key) ?? offset;
  }
  return offset;
}

/** Line and column (1-based) of `path` in `text`; `{}` when the text does not parse. */
export function positionIn(text: string, path: YamlPath): { line?: number; column?: number } {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  if (doc.errors.length) return {};
  const offset = nodeOffset(doc, path);
  if (offset === undefined) return {};
  const { line, col } = lines.linePos(offset);
  return { line, column: col };
}

const keyText = (key: unknown): string => String(isScalar(key) ? key.value : key);
const rangeStart = (node: unknown): number | undefined =>
  (node as { range?: [number, number, number] } | null | undefined)?.range?.[0];
