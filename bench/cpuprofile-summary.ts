/**
 * Summarises a V8 .cpuprofile (from `node --cpu-prof`): the top functions by self time and by
 * inclusive time, as a share of all samples; with --steps=N, also µs per step (the samples'
 * time ÷ N, for the N steps the profiled workload ran).
 *
 *   npx tsx bench/cpuprofile-summary.ts <file.cpuprofile> [selfRows=35] [inclusiveRows=60] [--steps=N]
 */
import { readFileSync } from "node:fs";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  startTime: number;
  endTime: number;
}

const argv = process.argv.slice(2);
const steps = Number(argv.find((a) => a.startsWith("--steps="))?.slice("--steps=".length) ?? 0);
const [file, selfRows = "35", inclusiveRows = "60"] = argv.filter((a) => !a.startsWith("--"));
if (!file) {
  console.error(
    "usage: tsx bench/cpuprofile-summary.ts <file.cpuprofile> [selfRows] [inclusiveRows] [--steps=N]",
  );
  process.exit(2);
}
const profile = JSON.parse(readFileSync(file, "utf8")) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

const name = (n: ProfileNode): string => {
  const url = n.callFrame.url.replace(/^.*\/(node_modules|src|bench)\//, "$1/");
  return `${n.callFrame.functionName || "(anonymous)"} ${url}:${n.callFrame.lineNumber + 1}`;
};
const self = new Map<string, number>();
const inclusive = new Map<string, number>();
for (const sample of profile.samples) {
  const leaf = byId.get(sample);
  if (!leaf) continue;
  self.set(name(leaf), (self.get(name(leaf)) ?? 0) + 1);
  const seen = new Set<string>();
  for (let id: number | undefined = sample; id !== undefined; id = parent.get(id)) {
    const node = byId.get(id);
    if (!node) break;
    const k = name(node);
    if (seen.has(k)) continue;
    seen.add(k);
    inclusive.set(k, (inclusive.get(k) ?? 0) + 1);
  }
}
const total = profile.samples.length;
/** Mean µs per sample (the sampling interval as it really was). */
const usPerSample = (profile.endTime - profile.startTime) / Math.max(1, total);
const perStep = (c: number) =>
  steps > 0 ? `${((c * usPerSample) / steps).toFixed(1).padStart(7)} µs/step  ` : "";
const top = (m: Map<string, number>, rows: number) =>
  [...m]
    .sort((a, b) => b[1] - a[1])
    .slice(0, rows)
    .map(([k, c]) => `${((100 * c) / total).toFixed(1).padStart(5)}%  ${perStep(c)}${k}`)
    .join("\n");
console.log(
  `${total} samples, ${((usPerSample * total) / 1000).toFixed(0)} ms` +
    (steps > 0 ? `, ${((usPerSample * total) / steps).toFixed(1)} µs per step over ${steps} steps` : ""),
);
console.log(`== self ==\n${top(self, Number(selfRows))}`);
console.log(`== inclusive ==\n${top(inclusive, Number(inclusiveRows))}`);
