/**
 * The `http` kind: one request with the host's fetch (the global one unless the host passes its
 * own). Non-2xx answers throw an HttpError that carries status and headers (so Retry-After can
 * steer retries); credentials are masked everywhere. A `timeout:` runs on the engine's clock.
 */
import { formatDuration } from "../engine/definition/durations.js";
import { TimeoutError } from "../engine/errors.js";
import type { StepContext, StepHandler, StepOutputs } from "../engine/handler.js";
import { startTimer } from "../engine/ports.js";
import { HttpError, HttpRequestError } from "./errors.js";
import { type HttpConfig, httpConfigProblems, mergeHttpConfig, resolveHttpConfig } from "./http-config.js";
import { Masker } from "./http-mask.js";

const MESSAGE_BODY_CHARS = 500;
const HTTP_OUTPUTS = ["status", "body", "json", "headers"] as const;

/** The `fetch` the `http` kind calls: the global one's signature. */
export type FetchFunction = (input: string, init: RequestInit) => Promise<Response>;

/** What the host gives the `http` kind. */
export interface HttpStepOptions {
  /**
   * Makes the requests (a proxy-aware client, a recording stub in tests). Looked up at each
   * request when not given, so it is the global `fetch` of that moment. @default globalThis.fetch
   */
  fetch?: FetchFunction;
}

/** The `http` kind with the host's `fetch` (see `builtinSteps({ http })`). */
export function createHttpStep(options: HttpStepOptions = {}): StepHandler {
  const fetchFn: FetchFunction = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  return {
    outputs: HTTP_OUTPUTS,
    validate: validateHttp,
    dependency: httpDependency,
    execute: (ctx) => executeHttp(ctx, fetchFn),
  };
}

/** The `http` kind with the global `fetch`. */
export const httpStep: StepHandler = createHttpStep();

function validateHttp(config: unknown, withMap: Record<string, unknown>): Array<[string, string]> {
  if (
    typeof config !== "string" &&
    (typeof config !== "object" || config === null || Array.isArray(config))
  ) {
    return [["", "must be a URL or a map with url, method, headers, body, timeout"]];
  }
  return httpConfigProblems(mergeHttpConfig(config, withMap), true);
}

function httpDependency(config: unknown, withMap: Record<string, unknown>): string | undefined {
  const url = mergeHttpConfig(config, withMap).url;
  if (typeof url !== "string" || url.includes("${{") || !URL.canParse(url)) return undefined;
  return new URL(url).host || undefined;
}

async function executeHttp(ctx: StepContext, fetchFn: FetchFunction): Promise<StepOutputs> {
  const config = resolveHttpConfig(ctx.config, ctx.with);
  const masker = new Masker(config.url, config.headers);
  const label = `${config.method} ${masker.url}`;
  const ms = config.timeoutMs;
  const stepSignal = ctx.signal;
  // The timeout is a timer on the engine's clock (a fake clock in tests), not AbortSignal.timeout.
  const timeout = new AbortController();
  const stopTimer = ms === undefined ? undefined : startTimer(ctx.clock, ms, () => timeout.abort());
  const signal = stopTimer ? AbortSignal.any([stepSignal, timeout.signal]) : stepSignal;
  let response: Response;
  let text: string;
  try {
    // Also settles when the fetch ignores its signal (an injected one may).
    response = await abortable(
      fetchFn(config.url, { method: config.method, ...encodeBody(config), signal }),
      signal,
    );
    text = await abortable(response.text(), signal);
  } catch (e) {
    if (stepSignal.aborted) throw stepSignal.reason;
    if (timeout.signal.aborted) {
      throw new TimeoutError(`${label} timed out after ${formatDuration(ms ?? 0)}`, ms ?? 0);
    }
    throw requestError(e, label, masker);
  } finally {
    stopTimer?.();
  }
  const headers = masker.headers(response.headers);
  const body = masker.mask(text);
  if (!response.ok) {
    const status = `${response.status} ${response.statusText}`.trim();
    // The run's secrets masked before the cut: a secret cut in two would not be recognised.
    const excerpt = ctx.secrets.text(body).slice(0, MESSAGE_BODY_CHARS);
    throw new HttpError(
      `${label} answered ${status}${excerpt ? `: ${excerpt}` : ""}`,
      response.status,
      headers,
    );
  }
  return { status: response.status, body, json: parseJson(text, headers["content-type"], masker), headers };
}

/** `promise`, or a rejection as soon as `signal` aborts. */
function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (e: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(e);
      },
    );
  });
}

function encodeBody(config: HttpConfig): { headers: Record<string, string>; body?: string } {
  const headers = { ...config.headers };
  const { body } = config;
  if (body === undefined || body === null) return { headers };
  if (typeof body === "string") return { headers, body };
  if (!Object.keys(headers).some((h) => h.toLowerCase() === "content-type")) {
    headers["content-type"] = "application/json";
  }
  return { headers, body: JSON.stringify(body) };
}

function parseJson(text: string, contentType: string | undefined, masker: Masker): unknown {
  if (!contentType || !/[/+]json\b/i.test(contentType)) return null;
  try {
    return masker.maskDeep(JSON.parse(text));
  } catch {
    return null;
  }
}

/** A request that got no answer: keeps the network code (undici puts it in `cause.code`). */
function requestError(e: unknown, label: string, masker: Masker): HttpRequestError {
  const cause = (e as { cause?: unknown }).cause as
    { code?: unknown; message?: unknown; errors?: unknown } | undefined;
  const nested = Array.isArray(cause?.errors)
    ? (cause.errors[0] as { code?: unknown } | undefined)
    : undefined;
  const code = [cause?.code, nested?.code, (e as { code?: unknown }).code].find((c) => typeof c === "string");
  const detail = typeof cause?.message === "string" && cause.message ? cause.message : (e as Error).message;
  const prefix = typeof code === "string" ? `request failed with ${code}` : "request failed";
  return new HttpRequestError(masker.mask(`${prefix}: ${label} (${detail})`), code as string | undefined, {
    cause: e,
  });
}
