// Uploads a file as an artifact with the real @actions/artifact client, lists it and downloads it
// again (extracted), then prints one JSON line. Run by tests under Node 24 (the Action's runtime)
// with ACTIONS_RUNTIME_TOKEN / ACTIONS_RESULTS_URL pointing at tests/support/artifact-service.ts.
// Usage: node artifact-roundtrip.mjs <file> <artifact-name> <download-dir>
import { readFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { performance } from "node:perf_hooks";
import process from "node:process";
import { DefaultArtifactClient } from "@actions/artifact";

const [file, name, downloadDir] = process.argv.slice(2);
const client = new DefaultArtifactClient();
const started = performance.now();
const uploaded = await client.uploadArtifact(name, [file], dirname(file), { compressionLevel: 1 });
const uploadMs = performance.now() - started;
const { artifacts } = await client.listArtifacts();
const listed = artifacts.find((a) => a.name === name);
const downloaded = await client.downloadArtifact(listed.id, {
  path: downloadDir,
  expectedHash: listed.digest,
});
const bytes = await readFile(join(downloadDir, basename(file)));
process.stdout.write(
  `\n${JSON.stringify({
    node: process.version,
    uploaded,
    listed: { ...listed, createdAt: listed.createdAt?.toISOString() },
    digestMismatch: downloaded.digestMismatch,
    downloadedBytes: bytes.length,
    uploadMs: Math.round(uploadMs),
    totalMs: Math.round(performance.now() - started),
  })}\n`,
);
