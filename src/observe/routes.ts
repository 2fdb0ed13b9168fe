/**
 * HTTP routes beside the app's webhook path (`/metrics`, `/health`, `/sla`, ...), in the shape of
 * the intake server's `routes` option: a route answers the requests it serves and returns true,
 * or returns false and leaves the request to the next one. `combineRoutes` chains them.
 */
import type { IncomingMessage, ServerResponse } from "node:http";

export type Route = (req: IncomingMessage, res: ServerResponse) => boolean | Promise<boolean>;

/** A route that tries each route in order until one answers; undefined ones are skipped. */
export function combineRoutes(...routes: (Route | undefined)[]): Route {
  const present = routes.filter((r): r is Route => r !== undefined);
  return async (req, res) => {
    for (const route of present) if (await route(req, res)) return true;
    return false;
  };
}

/** The request's path without its query. */
export function pathOf(req: IncomingMessage): string {
  return (req.url ?? "/").split("?", 1)[0] as string;
}

/** Answers `status` with a text body (and `allow` on 405). */
export function answerText(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { "content-type": contentType, "content-length": Buffer.byteLength(body) });
  res.end(body);
}
