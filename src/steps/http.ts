/**
 * The `http` kind: one request with the global fetch. Non-2xx answers throw an HttpError that
 * carries status and headers (so Retry-After can steer retries); credentials are masked everywhere.
 */
import { formatDuration } from "../engine/definition/durations.js";
import { TimeoutError } from "../engine/errors.js";
import type { StepContext, StepHandler, StepOutputs } from "../engine/handler.js";
import { HttpError, HttpRequestError } from "./errors.js";
import { type HttpConfig, httpConfigProblems, mergeHttpConfig, resolveHttpConfig } from "./http-config.js";
import { Masker } from "./http-mask.js";

const MESSAGE_BODY_CHARS = 500;

export const httpStep: StepHandler = {
  outputs: ["status", "body", "json", "headers"],
  validate(config, withMap) {
    if (
      typeof config !== "string" &&
      (typeof config !== "object" || config === null || Array.isArray(config))
    ) {
      return [["", "must be a URL or a map with url, method, headers, body, timeout"]];
    }
    return httpConfigProblems(mergeHttpConfig(config, withMap), true);
  },
  dependency(config, withMap) {
    const url = mergeHttpConfig(config, withMap).url;
    if (typeof url !== "string" || url.includes("${{") || !URL.canParse(url)) return undefined;
    return new URL(url).host || undefined;
  },
  execute: executeHttp,
};

async function executeHttp(ctx: StepContext): Promise<StepOutputs> {
  const config = resolveHttpConfig(ctx.config, ctx.with);
  const masker = new Masker(config.url, config.headers);
  const label = `${config.method} ${masker.url}`;
  const timeout = config.timeoutMs === undefined ? undefined : AbortSignal.timeout(config.timeoutMs);
  const signal = timeout ? AbortSignal.any([ctx.signal, timeout]) : ctx.signal;
  let response: Response;
  let text: string;
  try {
    response = await fetch(config.url, { method: config.method, ...encodeBody(config), signal });
    text = await response.text();
  } catch (e) {
    if (ctx.signal.aborted) throw ctx.signal.reason;
    if (timeout?.aborted) {
      const ms = config.timeoutMs ?? 0;
      throw new TimeoutError(`${label} timed out after ${formatDuration(ms)}`, ms);
    }
    throw requestError(e, label, masker);
  }
  const headers = masker.headers(response.headers);
  const body = masker.mask(text);
  if (!response.ok) {
    const status = `${response.status} ${response.statusText}`.trim();
    const excerpt = body.slice(0, MESSAGE_BODY_CHARS);
    throw new HttpError(
      `${label} answered ${status}${excerpt ? `: ${excerpt}` : ""}`,
      response.status,
      headers,
    );
  }
  return { status: response.status, body, json: parseJson(text, headers["content-type"], masker), headers };
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
