/**
 * The Action's seam to GitHub's artifact storage: the four calls of `@actions/artifact`'s
 * `ArtifactClient` the checkpoint store uses. The real client is loaded lazily (it pulls in
 * Octokit and Azure's blob SDK); tests hand the store the real client pointed at the loopback
 * service in tests/support/artifact-service.ts, or any object with these four methods.
 *
 * Also the small ZIP reader the store needs: artifacts are downloaded unextracted
 * (`skipDecompress`) so the digest is checked before anything is unpacked, then read here.
 */
import { crc32, inflateRawSync } from "node:zlib";
import type { ArtifactClient } from "@actions/artifact";

/** What the checkpoint store calls; `DefaultArtifactClient` satisfies it. */
export type ArtifactPort = Pick<
  ArtifactClient,
  "uploadArtifact" | "listArtifacts" | "downloadArtifact" | "deleteArtifact"
>;

/**
 * The real client, loaded on first use. It reads `ACTIONS_RUNTIME_TOKEN` and
 * `ACTIONS_RESULTS_URL` from the environment on every call (the runner sets them for JavaScript
 * actions).
 */
export function defaultArtifactPort(): ArtifactPort {
  let client: Promise<ArtifactClient> | undefined;
  const real = (): Promise<ArtifactClient> =>
    (client ??= import("@actions/artifact").then(({ DefaultArtifactClient }) => new DefaultArtifactClient()));
  return {
    uploadArtifact: async (...args) => (await real()).uploadArtifact(...args),
    listArtifacts: async (...args) => (await real()).listArtifacts(...args),
    downloadArtifact: async (...args) => (await real()).downloadArtifact(...args),
    deleteArtifact: async (...args) => (await real()).deleteArtifact(...args),
  };
}

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

/**
 * The files of a ZIP archive by name, read through its central directory, each checked against
 * its CRC-32. Stored and deflated entries; no ZIP64 (a snapshot past 4 GiB is out of scope).
 * Throws an Error saying what is wrong with the archive.
 */
export function readZip(zip: Buffer): Map<string, Buffer> {
  const end = findEndOfCentralDirectory(zip);
  const count = zip.readUInt16LE(end + 10);
  let at = zip.readUInt32LE(end + 16);
  if (count === 0xffff || at === 0xffffffff) throw new Error("ZIP64 archives are not supported");
  const files = new Map<string, Buffer>();
  for (let i = 0; i < count; i++) {
    if (at + 46 > zip.length || zip.readUInt32LE(at) !== CENTRAL) {
      throw new Error(`not a valid ZIP archive: central directory entry ${i} is damaged`);
    }
    const method = zip.readUInt16LE(at + 10);
    const crc = zip.readUInt32LE(at + 16);
    const compressedSize = zip.readUInt32LE(at + 20);
    const nameLength = zip.readUInt16LE(at + 28);
    const extraLength = zip.readUInt16LE(at + 30);
    const commentLength = zip.readUInt16LE(at + 32);
    const local = zip.readUInt32LE(at + 42);
    const name = zip.toString("utf8", at + 46, at + 46 + nameLength);
    at += 46 + nameLength + extraLength + commentLength;
    if (name.endsWith("/")) continue;
    if (local + 30 > zip.length || zip.readUInt32LE(local) !== LOCAL) {
      throw new Error(`not a valid ZIP archive: the local header of "${name}" is damaged`);
    }
    const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
    const raw = zip.subarray(start, start + compressedSize);
    let data: Buffer;
    if (method === 0) data = Buffer.from(raw);
    else if (method === 8) {
      try {
        data = inflateRawSync(raw);
      } catch (error) {
        throw new Error(`"${name}" in the ZIP archive does not inflate: ${(error as Error).message}`);
      }
    } else throw new Error(`"${name}" in the ZIP archive uses unsupported method ${method}`);
    if (crc32(data) !== crc) throw new Error(`"${name}" in the ZIP archive fails its CRC-32 check`);
    files.set(name, data);
  }
  return files;
}

function findEndOfCentralDirectory(zip: Buffer): number {
  for (let at = zip.length - 22; at >= Math.max(0, zip.length - 22 - 0xffff); at--) {
    if (zip.readUInt32LE(at) === EOCD) return at;
  }
  throw new Error("not a ZIP archive: no end of central directory record");
}
