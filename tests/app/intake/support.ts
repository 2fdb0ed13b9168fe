/**
 * Signed deliveries for the intake tests: payloads from @octokit/webhooks-examples, signed with
 * @octokit/webhooks-methods (an implementation other than the server's), posted over real HTTP.
 */
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { request } from "node:http";
import { createRequire } from "node:module";
import { sign } from "@octokit/webhooks-methods";

export const SECRET = "intake-test-secret";

export interface Example {
  name: string;
  action: string | undefined;
  payload: Record<string, unknown>;
}

/** Every example payload of every event and action. */
export function allExamples(): Example[] {
  const file = createRequire(import.meta.url).resolve("@octokit/webhooks-examples/api.github.com/index.json");
  const events = JSON.parse(readFileSync(file, "utf8")) as {
    name: string;
    examples: Record<string, unknown>[];
  }[];
  return events.flatMap((e) =>
    e.examples.map((payload) => ({
      name: e.name,
      action: typeof payload.action === "string" ? payload.action : undefined,
      payload,
    })),
  );
}

/** The first example of `name` (and `action`). */
export function example(name: string, action?: string): Example {
  const found = allExamples().find((e) => e.name === name && (action === undefined || e.action === action));
  if (!found) throw new Error(`no example for ${name}.${action ?? ""}`);
  return found;
}

export interface Delivery {
  id: string;
  name: string;
  body: Buffer;
  headers: Record<string, string>;
}

/** A delivery as GitHub sends it: JSON body, delivery id, event name, signature. */
export async function delivery(ex: Pick<Example, "name" | "payload">, id = randomUUID()): Promise<Delivery> {
  const text = JSON.stringify(ex.payload);
  return {
    id,
    name: ex.name,
    body: Buffer.from(text),
    headers: {
      "content-type": "application/json",
      "user-agent": "GitHub-Hookshot/test",
      "x-github-delivery": id,
      "x-github-event": ex.name,
      "x-github-hook-id": "1",
      "x-hub-signature-256": await sign(SECRET, text),
    },
  };
}

export interface Answer {
  status: number;
  body: string;
}

/** POSTs `body` with `headers` (a header set to undefined is left out). */
export function post(
  port: number,
  body: Buffer | string | ((write: (chunk: Buffer) => boolean) => void),
  headers: Record<string, string | undefined>,
  path = "/api/github/webhooks",
  method = "POST",
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const sent: Record<string, string> = {};
    for (const [k, v] of Object.entries(headers)) if (v !== undefined) sent[k] = v;
    const req = request({ host: "127.0.0.1", port, path, method, headers: sent, agent: false }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => (text += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
      res.on("error", reject);
    });
    // A server that refuses a body mid-way closes the connection: the write may fail after the answer.
    req.on("error", (e: NodeJS.ErrnoException) => {
      if (e.code !== "EPIPE" && e.code !== "ECONNRESET") reject(e);
    });
    if (typeof body === "function") {
      body((chunk) => req.write(chunk));
      req.end();
    } else {
      req.end(body);
    }
  });
}

/** Sends a delivery. */
export const send = (port: number, d: Delivery): Promise<Answer> => post(port, d.body, d.headers);
