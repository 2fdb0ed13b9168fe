/**
 * POSTing JSON for the HTTP channels. A failure throws a {@link ChannelHttpError} with the status
 * and response headers (so the engine's recovery patterns see `status=503`, `retry-after`), or —
 * when no answer came — with the network error's code (`ECONNREFUSED`, ...). URLs are never in
 * messages: a webhook URL is a secret.
 */

export class ChannelHttpError extends Error {
  override name = "ChannelHttpError";
  constructor(
    message: string,
    readonly status?: number,
    readonly headers?: Record<string, string>,
    readonly code?: string,
  ) {
    super(message);
  }
}

export interface PostOptions {
  fetch: typeof fetch;
  /** What the message calls the destination, e.g. `Slack webhook` (never the URL). */
  what: string;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** @default 10000 */
  timeoutMs?: number;
}

/** POSTs `body` as JSON; resolves with the response text of a 2xx answer. */
export async function postJson(url: string, body: unknown, options: PostOptions): Promise<string> {
  const timeout = AbortSignal.timeout(options.timeoutMs ?? 10_000);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  let response: Response;
  try {
    response = await options.fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", "user-agent": "stageflow-alerts", ...options.headers },
      body: JSON.stringify(body),
      signal,
    });
  } catch (e) {
    const cause = (e as { cause?: { code?: unknown; message?: unknown } }).cause;
    const code =
      typeof cause?.code === "string"
        ? cause.code
        : (e as { name?: string }).name === "TimeoutError"
          ? "ETIMEDOUT"
          : undefined;
    const why = typeof cause?.message === "string" ? cause.message : (e as Error).message;
    throw new ChannelHttpError(`${options.what}: no answer (${code ?? why})`, undefined, undefined, code);
  }
  const text = await response.text().catch(() => "");
  if (!response.ok) {
    const headers: Record<string, string> = {};
    response.headers.forEach((v, k) => (headers[k.toLowerCase()] = v));
    throw new ChannelHttpError(
      `${options.what} answered ${response.status}${text ? `: ${text.slice(0, 200)}` : ""}`,
      response.status,
      headers,
    );
  }
  return text;
}
