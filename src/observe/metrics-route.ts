/**
 * `GET /metrics`: the host's registry in Prometheus text exposition format. HEAD answers the
 * headers only; other methods get 405. Other paths are left to the next route.
 */
import type { ServerResponse } from "node:http";
import type { RouteHandler } from "./health-http.js";
import type { Metrics } from "./metrics.js";

export interface MetricsRouteOptions {
  /** @default "/metrics" */
  path?: string;
}

export function metricsRoute(
  metrics: Pick<Metrics, "text" | "contentType">,
  options: MetricsRouteOptions = {},
): RouteHandler {
  const path = options.path ?? "/metrics";
  return async (req, res) => {
    if ((req.url ?? "/").split("?", 1)[0] !== path) return false;
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.setHeader("allow", "GET, HEAD");
      answerText(res, 405, "text/plain; charset=utf-8", "method not allowed\n");
      return true;
    }
    let body: string;
    try {
      body = await metrics.text();
    } catch (e) {
      answerText(
        res,
        500,
        "text/plain; charset=utf-8",
        `metrics failed: ${(e as Error)?.message ?? String(e)}\n`,
      );
      return true;
    }
    if (req.method === "HEAD") {
      res.writeHead(200, { "content-type": metrics.contentType, "content-length": Buffer.byteLength(body) });
      res.end();
    } else answerText(res, 200, metrics.contentType, body);
    return true;
  };
}

function answerText(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { "content-type": contentType, "content-length": Buffer.byteLength(body) });
  res.end(body);
}
