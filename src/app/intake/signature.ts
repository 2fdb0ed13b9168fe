import { createHmac, timingSafeEqual } from "node:crypto";

/**
 * Whether `signature` (the `X-Hub-Signature-256` header, `sha256=<hex>`) is the HMAC-SHA256 of
 * the raw body bytes under `secret`. Compared in constant time; any malformed header is false.
 */
export function verifySignature(secret: string, body: Buffer, signature: string): boolean {
  const match = /^sha256=([0-9a-f]{64})$/i.exec(signature.trim());
  if (!match) return false;
  const expected = createHmac("sha256", secret).update(body).digest();
  const given = Buffer.from(match[1] as string, "hex");
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** The `X-Hub-Signature-256` value GitHub would send for `body`. */
export function signBody(secret: string, body: Buffer | string): string {
  return `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
}
