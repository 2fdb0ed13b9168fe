/**
 * The health and SLA routes, for a host's HTTP server (the app's `routes` hook, see
 * IntakeServerOptions.routes): `/health` (the overall status, every check, recommendations;
 * 503 when CRITICAL or FAILED), `/health/live` (the process answers), `/health/ready` (503 while
 * a critical check fails) and `/sla`. JSON bodies; GET and HEAD only.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { HealthRegistry } from "./health.js";
import type { SlaReport } from "./sla.js";

/** A route function: answers the request and returns true, or returns false to pass it on. */
export type RouteHandler = (req: IncomingMessage, res: ServerResponse) => boolean | Promise<boolean>;

export interface HealthRoutesOptions {
  health: HealthRegistry;
  /** The SLA report for `/sla`; without it `/sla` is not served. */
  sla?: () => Promise<SlaReport>;
}

/** The routes' handler. */
export function healthRoutes(options: HealthRoutesOptions): RouteHandler {
  const { health, sla } = options;
  return async (req, res) => {
    const pathname = (req.url ?? "/").split("?", 1)[0];
    const route =
      pathname === "/health" ||
      pathname === "/health/live" ||
      pathname === "/health/ready" ||
      (sla && pathname === "/sla")
        ? pathname
        : undefined;
    if (route === undefined) return false;
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.setHeader("allow", "GET, HEAD");
      send(req, res, 405, { error: "only GET and HEAD are accepted here" });
      return true;
    }
    if (route === "/health/live") {
      send(req, res, 200, { status: "alive" });
    } else if (route === "/health/ready") {
      const report = await health.evaluate({ criticalOnly: true });
      const failing = report.checks.filter((c) => c.state === "fail");
      send(
        req,
        res,
        report.ready ? 200 : 503,
        report.ready
          ? { status: "ready" }
          : { status: "not_ready", failing: failing.map((c) => ({ name: c.name, message: c.message })) },
      );
    } else if (route === "/health") {
      const report = await health.evaluate();
      send(req, res, report.ready ? 200 : 503, report);
    } else if (sla) {
      send(req, res, 200, await sla());
    }
    return true;
  };
}

/** Tries each route function in turn; the first that answers wins. Undefined ones are skipped. */
export function chainRoutes(...routes: (RouteHandler | undefined)[]): RouteHandler {
  const list = routes.filter((r): r is RouteHandler => r !== undefined);
  return async (req, res) => {
    for (const route of list) if (await route(req, res)) return true;
    return false;
  };
}

function send(req: IncomingMessage, res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value, null, 2);
  res.writeHead(status, {
    "content-type": "application/json",
    "cache-control": "no-store",
    "content-length": Buffer.byteLength(body),
  });
  res.end(req.method === "HEAD" ? undefined : body);
}
