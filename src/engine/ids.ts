import { randomFillSync } from "node:crypto";

/** Random bytes drawn 4 KB at a time: one `randomFillSync` per 256 ids instead of one per id. */
const POOL = Buffer.alloc(4096);
let poolOffset = POOL.length;

/** Each byte value as two hex digits. */
export const BYTE_HEX: readonly string[] = Array.from({ length: 256 }, (_, i) =>
  i.toString(16).padStart(2, "0"),
);

/**
 * A UUIDv7 (RFC 9562): 48 bits of Unix milliseconds, then random bits. Run ids sort by creation
 * time, so the journal's indexes (all keyed by run id) grow at their right edge instead of at
 * random pages — fewer pages written per commit — and `ORDER BY id` is creation order.
 */
export function uuidv7(now: number = Date.now()): string {
  if (poolOffset + 10 > POOL.length) {
    randomFillSync(POOL);
    poolOffset = 0;
  }
  const bytes = new Array<number>(16);
  let ms = Math.max(0, Math.floor(now));
  for (let i = 5; i >= 0; i--) {
    bytes[i] = ms % 256;
    ms = Math.floor(ms / 256);
  }
  for (let i = 6; i < 16; i++) bytes[i] = POOL[poolOffset++] as number;
  bytes[6] = ((bytes[6] as number) & 0x0f) | 0x70;
  bytes[8] = ((bytes[8] as number) & 0x3f) | 0x80;
  let out = "";
  for (let i = 0; i < 16; i++) {
    if (i === 4 || i === 6 || i === 8 || i === 10) out += "-";
    out += BYTE_HEX[bytes[i] as number];
  }
  return out;
}
