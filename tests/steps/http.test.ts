import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { TimeoutError } from "../../src/engine/errors.js";
import { SecretMasker } from "../../src/engine/secrets/index.js";
import { FakeClock } from "../../src/engine/testing/fake-clock.js";
import { HttpError, HttpRequestError } from "../../src/steps/errors.js";
import { createHttpStep, httpStep } from "../../src/steps/http.js";
import { secretFragments } from "../support/fragments.js";
import { makeContext, type TestContext } from "./context.js";

const SECRET = "Bearer s3cr3t-token-value";
let server: Server;
let base: string;
let current: TestContext | undefined;

async function readBody(req: IncomingMessage): Promise<string> {
  let text = "";
  for await (const chunk of req) text += chunk;
  return text;
}

function route(req: IncomingMessage, res: ServerResponse, body: string): void {
  const json = (status: number, value: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { "content-type": "application/json", ...headers }).end(JSON.stringify(value));
  };
  switch (new URL(req.url ?? "/", "http://x").pathname) {
    case "/json":
      json(200, { ok: true, items: [1, 2] }, { "X-Custom": "yes" });
      break;
    case "/echo":
      json(200, { method: req.method, contentType: req.headers["content-type"], body });
      break;
    case "/busy":
      res.writeHead(503, { "Retry-After": "7" }).end("try again later");
      break;
    case "/echo-auth": {
      const echoed = { got: req.headers.authorization, key: req.headers["x-api-key"] };
      json(401, echoed, { "set-cookie": "sid=abc123456" });
      break;
    }
    case "/slow":
      break; // never answers; connections are closed in afterAll
    default:
      res.writeHead(404).end("no such route");
  }
}

beforeAll(async () => {
  server = createServer((req, res) => {
    readBody(req).then((body) => route(req, res, body));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

afterEach(async () => {
  await current?.cleanup();
  current = undefined;
});

async function request(config: unknown, withMap: Record<string, unknown> = {}) {
  current = await makeContext({ config, with: withMap });
  return httpStep.execute(current.ctx);
}

describe("http step", () => {
  it("GET JSON yields status, json, body and lower-cased headers", async () => {
    const outputs = await request({ url: `${base}/json` });
    expect(outputs).toMatchObject({
      status: 200,
      json: { ok: true, items: [1, 2] },
      body: '{"ok":true,"items":[1,2]}',
    });
    expect(outputs?.headers).toMatchObject({ "x-custom": "yes", "content-type": "application/json" });
  });

  it("POSTs an object body as JSON with content-type application/json", async () => {
    const outputs = await request({ url: `${base}/echo`, method: "post", body: { version: "1.2.3" } });
    expect(outputs?.json).toEqual({
      method: "POST",
      contentType: "application/json",
      body: '{"version":"1.2.3"}',
    });
  });

  it("sends a string body as is", async () => {
    const outputs = await request({
      url: `${base}/echo`,
      method: "PUT",
      body: "a=1",
      headers: { "Content-Type": "text/x" },
    });
    expect(outputs?.json).toEqual({ method: "PUT", contentType: "text/x", body: "a=1" });
  });

  it("503 throws HttpError with status, headers and a readable message", async () => {
    const error = await request({
      url: `${base}/busy?token=qwerty123&page=2`,
      method: "POST",
      body: {},
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpError);
    const e = error as HttpError;
    expect(e).toMatchObject({ name: "HttpError", status: 503, code: "http_503" });
    expect(e.headers["retry-after"]).toBe("7");
    expect(e.message).toBe(
      `POST ${base}/busy?token=***&page=2 answered 503 Service Unavailable: try again later`,
    );
  });

  it("never reveals credentials, even when the server echoes them", async () => {
    const headers = { Authorization: SECRET, "X-Api-Key": "k-998877" };
    const error = (await request({ url: `${base}/echo-auth`, headers }).catch(
      (e: unknown) => e,
    )) as HttpError;
    expect(error).toBeInstanceOf(HttpError);
    expect(error.status).toBe(401);
    const shown = JSON.stringify({ message: error.message, headers: error.headers });
    for (const secret of ["s3cr3t-token-value", "k-998877", "abc123456"]) expect(shown).not.toContain(secret);
    expect(error.message).toContain('"got":"***"');
    expect(error.headers["set-cookie"]).toBe("***");
  });

  it("refuses credentials in the URL without echoing them", async () => {
    const error = await request({ url: `http://user:pa55word@127.0.0.1:1/x` }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).message).toMatch(/url must not contain credentials/);
    expect((error as Error).message).not.toContain("pa55word");
  });

  it("connection refused keeps the network code", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const error = await request({ url: `http://127.0.0.1:${port}/x` }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpRequestError);
    expect(error).toMatchObject({ code: "ECONNREFUSED" });
    expect((error as Error).message).toMatch(
      /^request failed with ECONNREFUSED: GET http:\/\/127\.0\.0\.1:\d+\/x/,
    );
  });

  it("rejects with the signal's reason when aborted", async () => {
    current = await makeContext({ config: { url: `${base}/slow` } });
    const pending = httpStep.execute(current.ctx);
    const reason = new Error("stage timed out");
    setTimeout(() => current?.controller.abort(reason), 50);
    await expect(pending).rejects.toBe(reason);
  });

  it("a config timeout runs on the engine's clock and throws a TimeoutError naming the request", async () => {
    const clock = new FakeClock();
    current = await makeContext({ config: { url: `${base}/slow`, timeout: "30s" }, clock });
    let settled = false;
    const pending = httpStep.execute(current.ctx).catch((e: unknown) => {
      settled = true;
      return e;
    });
    await clock.advance(29_999);
    expect(settled).toBe(false);
    await clock.advance(1);
    const error = await pending;
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as Error).message).toBe(`GET ${base}/slow timed out after 30s`);
    expect(clock.pending()).toBe(0);
  });

  it("an answer in time cancels the timeout's timer", async () => {
    const clock = new FakeClock();
    current = await makeContext({ config: { url: `${base}/json`, timeout: "30s" }, clock });
    await expect(httpStep.execute(current.ctx)).resolves.toMatchObject({ status: 200 });
    expect(clock.pending()).toBe(0);
  });

  it("calls the host's fetch, with the method, headers, body and an abort signal", async () => {
    const calls: Array<{ url: string; init: RequestInit }> = [];
    const step = createHttpStep({
      async fetch(url, init) {
        calls.push({ url, init });
        return new Response('{"ok":1}', { status: 201, headers: { "content-type": "application/json" } });
      },
    });
    current = await makeContext({
      config: { url: "https://api.example.com/x", method: "POST", body: { a: 1 } },
    });
    await expect(step.execute(current.ctx)).resolves.toMatchObject({ status: 201, json: { ok: 1 } });
    expect(calls).toHaveLength(1);
    expect(calls[0]?.url).toBe("https://api.example.com/x");
    expect(calls[0]?.init).toMatchObject({
      method: "POST",
      body: '{"a":1}',
      headers: { "content-type": "application/json" },
    });
    expect(calls[0]?.init.signal).toBeInstanceOf(AbortSignal);
  });

  it("masks the run's secrets in an error's body excerpt before cutting it to 500 characters", async () => {
    const secret = "Zq8-SECRETPART-0123456789-TAILPART";
    // The server echoes the secret across the excerpt's end (character 500).
    const step = createHttpStep({
      fetch: async () => new Response(`${"e".repeat(490)}${secret}${"f".repeat(100)}`, { status: 500 }),
    });
    current = await makeContext({
      config: { url: "https://api.example.com/x" },
      secrets: new SecretMasker([secret]),
    });
    const error = (await step.execute(current.ctx).catch((e: unknown) => e)) as HttpError;
    expect(error).toBeInstanceOf(HttpError);
    expect(error.message).toBe(
      `GET https://api.example.com/x answered 500: ${"e".repeat(490)}***${"f".repeat(7)}`,
    );
    expect(secretFragments(secret, error.message)).toEqual([]);
  });

  it("a host fetch that never answers (and ignores its signal) still times out on the fake clock", async () => {
    const clock = new FakeClock();
    let signal: AbortSignal | null | undefined;
    const step = createHttpStep({
      fetch: (_url, init) => {
        signal = init.signal;
        return new Promise<Response>(() => {});
      },
    });
    current = await makeContext({ config: { url: "https://api.example.com/hang", timeout: "2m" }, clock });
    const pending = step.execute(current.ctx).catch((e: unknown) => e);
    await clock.advance(120_000);
    const error = await pending;
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error).toMatchObject({ message: "GET https://api.example.com/hang timed out after 2m" });
    expect(signal?.aborted).toBe(true);
  });

  it("with: overrides the config (recovery alternatives)", async () => {
    const outputs = await request({ url: "http://127.0.0.1:1/unused" }, { url: `${base}/json` });
    expect(outputs?.status).toBe(200);
  });

  it("dependency() is the URL's host", () => {
    expect(httpStep.dependency?.({ url: "https://hooks.example.com/build" }, {})).toBe("hooks.example.com");
    expect(httpStep.dependency?.("https://a.example.com:8443/x", {})).toBe("a.example.com:8443");
    expect(
      httpStep.dependency?.({ url: "https://a.example.com/" }, { url: "https://mirror-b.example.com/b" }),
    ).toBe("mirror-b.example.com");
    expect(httpStep.dependency?.({ url: "${{ inputs.url }}" }, {})).toBeUndefined();
  });

  it("validates url, method, headers, body and timeout", () => {
    const v = (config: unknown) => httpStep.validate?.(config, {});
    expect(v({ url: "https://x.example.com/a", method: "POST", body: { a: 1 }, timeout: "10s" })).toEqual([]);
    expect(v({ url: "${{ inputs.url }}", method: "${{ inputs.m }}" })).toEqual([]);
    expect(v({ url: "/relative" })).toEqual([["url", "must be an absolute http(s) URL"]]);
    expect(v({ url: "ftp://x.example.com" })).toEqual([["url", "must be an absolute http(s) URL"]]);
    expect(v({ url: "https://u:p@x.example.com" })?.[0]?.[0]).toBe("url");
    expect(v({ url: "https://x.example.com", method: "FETCH" })?.[0]?.[0]).toBe("method");
    expect(v({ url: "https://x.example.com", body: "x" })).toEqual([
      ["body", "a GET request cannot have a body"],
    ]);
    expect(v({ url: "https://x.example.com", timeout: "soon" })?.[0]?.[0]).toBe("timeout");
    expect(v({ url: "https://x.example.com", headers: { a: { b: 1 } } })?.[0]?.[0]).toBe("headers.a");
    expect(v(42)).toHaveLength(1);
    expect(httpStep.outputs).toEqual(["status", "body", "json", "headers"]);
  });
});
