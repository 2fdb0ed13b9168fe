/**
 * The app's webhook intake: a plain node:http server (not Probot's). A delivery is verified over
 * its raw body, recorded in the inbox (committed), and only then answered — 202 when new, 200 for
 * a redelivery already recorded. Nothing else happens inside the request: the inbox worker does
 * the work (`onRecorded` wakes it). Any 4xx records nothing.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { type Clock, type Logger, systemClock } from "../../engine/ports.js";
import type { AppStore } from "../state/types.js";
import { verifySignature } from "./signature.js";

/** Probot's webhook path. */
export const DEFAULT_WEBHOOK_PATH = "/api/github/webhooks";
/** GitHub caps payloads at 25 MB. */
export const DEFAULT_MAX_BODY_BYTES = 25 * 1024 * 1024;
/** Longest `X-GitHub-Delivery` / `X-GitHub-Event` accepted (GitHub's are far shorter). */
const MAX_HEADER_VALUE = 200;

export interface IntakeServerOptions {
  /** The webhook secret (`WEBHOOK_SECRET`). */
  secret: string;
  /** Where deliveries are recorded (the app's inbox). */
  store: Pick<AppStore, "recordDelivery">;
  /** @default "/api/github/webhooks" */
  path?: string;
  /** Bodies above this are refused with 413 without being read. @default 26214400 (25 MB) */
  maxBodyBytes?: number;
  /** Stamps `receivedAt`. @default systemClock */
  clock?: Pick<Clock, "now">;
  log: Logger;
  /** Called after a new delivery was recorded and answered: wakes the worker. */
  onRecorded?: () => void;
  /**
   * Other routes (e.g. `/health`): called for every request not for the webhook path; returns
   * true when it answered. Unanswered requests get 404.
   */
  routes?: (req: IncomingMessage, res: ServerResponse) => boolean | Promise<boolean>;
}

export interface IntakeServer {
  /** Listens; resolves with the port bound (useful with port 0). */
  listen(port: number, host?: string): Promise<{ port: number }>;
  /** Stops accepting, closes idle connections, and resolves once every open request has ended. */
  close(): Promise<void>;
  readonly server: Server;
}

/** A refusal: status and a short text saying why. */
class Refusal extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Creates the intake server (not yet listening). Throws TypeError for a bad option. */
export function createIntakeServer(options: IntakeServerOptions): IntakeServer {
  const { secret, store, log, onRecorded, routes } = options;
  const path = options.path ?? DEFAULT_WEBHOOK_PATH;
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const clock = options.clock ?? systemClock;
  if (typeof secret !== "string" || secret.length === 0)
    throw new TypeError("secret: a non-empty webhook secret is required");
  if (!path.startsWith("/")) throw new TypeError(`path must start with "/", got ${JSON.stringify(path)}`);
  if (!Number.isInteger(maxBodyBytes) || maxBodyBytes <= 0) {
    throw new TypeError(`maxBodyBytes must be a positive integer, got ${String(maxBodyBytes)}`);
  }

  async function webhook(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== "POST") throw new Refusal(405, "only POST is accepted here");
    const id = header(req, "x-github-delivery");
    const name = header(req, "x-github-event");
    const signature = header(req, "x-hub-signature-256");
    const declared = Number(req.headers["content-length"] ?? NaN);
    if (declared > maxBodyBytes)
      throw new Refusal(413, `body of ${declared} bytes is over the limit of ${maxBodyBytes}`);
    const body = await readBody(req, maxBodyBytes);
    if (!verifySignature(secret, body, signature))
      throw new Refusal(401, "signature does not match the body");
    const payload = body.toString("utf8");
    let parsed: unknown;
    try {
      parsed = JSON.parse(payload);
    } catch (e) {
      throw new Refusal(400, `body is not JSON: ${(e as Error).message}`);
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
      throw new Refusal(400, "body is not a JSON object");
    }
    const recorded = await store.recordDelivery({ id, name, payload, receivedAt: clock.now() });
    answer(res, recorded ? 202 : 200, recorded ? "recorded" : "already recorded");
    log.debug(recorded ? "delivery recorded" : "redelivery ignored", { delivery: id, event: name });
    if (recorded) onRecorded?.();
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const url = req.url ?? "/";
      const pathname = url.split("?", 1)[0];
      if (pathname === path) await webhook(req, res);
      else if (!(routes && (await routes(req, res)))) answer(res, 404, "not found");
    } catch (e) {
      if (e instanceof Refusal) {
        log.warn("delivery refused", {
          status: e.status,
          reason: e.message,
          delivery: req.headers["x-github-delivery"],
        });
        refuse(req, res, e.status, e.message);
        return;
      }
      log.error("intake failed", { error: (e as Error)?.message ?? String(e) });
      if (!res.headersSent) refuse(req, res, 500, "internal error");
      else res.destroy();
    }
  }

  const server = createServer((req, res) => void handle(req, res));
  return {
    server,
    listen: (port, host) =>
      new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, host, () => {
          server.off("error", reject);
          resolve({ port: (server.address() as AddressInfo).port });
        });
      }),
    close: () =>
      new Promise((resolve, reject) => {
        if (!server.listening) return resolve();
        server.close((e) => (e ? reject(e) : resolve()));
        server.closeIdleConnections();
      }),
  };
}

function header(req: IncomingMessage, name: string): string {
  const value = req.headers[name];
  if (typeof value !== "string" || value.length === 0) throw new Refusal(400, `missing header ${name}`);
  if (value.length > MAX_HEADER_VALUE)
    throw new Refusal(400, `header ${name} is longer than ${MAX_HEADER_VALUE}`);
  return value;
}

/** The whole body, or a 413 Refusal as soon as it passes `limit` (the rest is not read). */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        cleanup();
        req.pause();
        chunks.length = 0;
        reject(new Refusal(413, `body is over the limit of ${limit} bytes`));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size));
    };
    const onError = (e: Error) => {
      cleanup();
      reject(e);
    };
    const cleanup = () => {
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onError);
    };
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", onError);
  });
}

function answer(res: ServerResponse, status: number, text: string): void {
  const body = JSON.stringify({ status: text });
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
  res.end(body);
}

/** How long the rest of a refused request's body is read (and dropped) before the connection is cut. */
export const REFUSED_BODY_LINGER_MS = 5_000;

/**
 * Answers a refusal. When the request body was not read to its end, the rest is read and dropped
 * (never kept) while the client still sends it, for at most REFUSED_BODY_LINGER_MS, then the
 * connection is cut: cutting it at once, with the client's data unread, makes the kernel answer
 * with a reset, and a client still sending loses the answer it had not read yet. (Real time, not
 * the injected clock: it bounds what a socket may still send.)
 */
function refuse(req: IncomingMessage, res: ServerResponse, status: number, message: string): void {
  if (!req.complete) {
    const cut = setTimeout(() => req.socket.destroy(), REFUSED_BODY_LINGER_MS).unref();
    const cancel = () => clearTimeout(cut);
    req.once("end", cancel);
    req.socket.once("close", cancel);
    req.resume();
  }
  const body = JSON.stringify({ error: message });
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
  res.end(body);
}
