/**
 * What runs in flight retain (a developer tool, not part of `npm run bench`): heap snapshots
 * before and while N runs of the workload are blocked in their middle stage (N × 10 steps inside
 * their handlers), aggregated by V8 node type and name; prints the difference per run.
 *
 *   npx tsx bench/heap.ts [N=300]
 */
import { readFileSync, unlinkSync } from "node:fs";
import { writeHeapSnapshot } from "node:v8";
import { createEngine } from "../src/engine/index.js";
import { createSqliteJournal } from "../src/store/index.js";
import { benchPlan, KIND, MIDDLE_STEPS, STAGES, tempDir, tick } from "./workload.js";

const N = Number(process.argv[2] ?? 300);
const tmp = tempDir("heap");
const journal = createSqliteJournal({ path: tmp.file("j.db"), durability: "process" });
const engine = createEngine({ journal });
let release = () => {};
const gate = new Promise<void>((r) => {
  release = r;
});
let blocked = 0;
engine.register(KIND, async (ctx) => {
  if (ctx.stageId === STAGES.middle) {
    blocked++;
    await gate;
  }
  return {};
});
const plan = benchPlan(engine.kinds);
interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
  nodes: number[];
  strings: string[];
}
/** Count and self size per "type:name" of every node in a heap snapshot file (then deletes it). */
const agg = (file: string): Map<string, { c: number; b: number }> => {
  const s = JSON.parse(readFileSync(file, "utf8")) as Snapshot;
  const f = s.snapshot.meta.node_fields;
  const types = s.snapshot.meta.node_types[0];
  const [typeAt, nameAt, sizeAt] = [f.indexOf("type"), f.indexOf("name"), f.indexOf("self_size")];
  const m = new Map<string, { c: number; b: number }>();
  for (let i = 0; i < s.nodes.length; i += f.length) {
    const k = `${types[s.nodes[i + typeAt] ?? 0]}:${s.strings[s.nodes[i + nameAt] ?? 0]}`.slice(0, 70);
    const e = m.get(k) ?? { c: 0, b: 0 };
    e.c++;
    e.b += s.nodes[i + sizeAt] ?? 0;
    m.set(k, e);
  }
  unlinkSync(file);
  return m;
};
const before = agg(writeHeapSnapshot());
const handles = await Promise.all(Array.from({ length: N }, () => engine.start(plan)));
while (blocked < N * MIDDLE_STEPS) await tick(5);
await tick(100);
const after = agg(writeHeapSnapshot());
const diff = [...after]
  .map(([k, v]) => [k, v.c - (before.get(k)?.c ?? 0), v.b - (before.get(k)?.b ?? 0)] as const)
  .sort((a, b) => b[2] - a[2]);
const total = diff.reduce((a, d) => a + d[2], 0);
console.log(`retained by ${N} blocked runs: ${(total / N / 1024).toFixed(1)} KB/run`);
for (const [k, c, b] of diff.slice(0, 30))
  console.log(`${(b / N).toFixed(0).padStart(7)} B/run ${(c / N).toFixed(1).padStart(6)} obj/run  ${k}`);
release();
await Promise.all(handles.map((h) => h.done));
await engine.close();
await journal.close();
tmp.cleanup();
