import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { FakeClock } from "../../src/engine/testing/fake-clock.js";
import { type CheckState, HealthRegistry } from "../../src/observe/health.js";
import { chainRoutes, healthRoutes } from "../../src/observe/health-http.js";
import { slaReport } from "../../src/observe/sla.js";
import { MemoryJournal } from "../../src/store/memory/journal.js";

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
});

async function listen(server: Server): Promise<number> {
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return (server.address() as AddressInfo).port;
}

async function get(port: number, path: string, method = "GET") {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { method });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : null };
}

describe("the health routes", () => {
  it("serve /health, /health/live, /health/ready and /sla, and pass other paths on", async () => {
    const clock = new FakeClock();
    const health = new HealthRegistry({ clock });
    let journalState: CheckState = "pass";
    health.register({
      name: "journal writable",
      critical: true,
      run: () => ({
        state: journalState,
        message: journalState === "pass" ? "wrote a file" : "cannot write in /x",
      }),
    });
    health.register({ name: "memory", critical: false, run: () => ({ state: "warn", message: "heap 85%" }) });
    const journal = new MemoryJournal();
    const routes = chainRoutes(
      healthRoutes({ health, sla: () => slaReport({ journal, clock }) }),
      undefined,
      (req, res) => {
        if (req.url !== "/metrics") return false;
        res.end("# metrics");
        return true;
      },
    );
    const port = await listen(
      createServer((req, res) => {
        void Promise.resolve(routes(req, res)).then((answered) => {
          if (!answered) res.writeHead(404).end();
        });
      }),
    );

    expect(await get(port, "/health/live")).toEqual({ status: 200, body: { status: "alive" } });
    expect(await get(port, "/health/ready")).toEqual({ status: 200, body: { status: "ready" } });
    const ok = await get(port, "/health?verbose=1");
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({
      status: "WARNING",
      ready: true,
      checks: [
        { name: "journal writable", critical: true, state: "pass" },
        { name: "memory", critical: false, state: "warn", message: "heap 85%" },
      ],
      recommendations: [
        "Nothing fails, but some checks warn: look at them before they fail.",
        "memory: look at this check",
      ],
    });

    journalState = "fail";
    expect(await get(port, "/health/ready")).toEqual({
      status: 503,
      body: {
        status: "not_ready",
        failing: [{ name: "journal writable", message: "journal writable: cannot write in /x" }],
      },
    });
    const failing = await get(port, "/health");
    expect(failing.status).toBe(503);
    expect(failing.body).toMatchObject({ status: "FAILED", ready: false });

    const sla = await get(port, "/sla");
    expect(sla.status).toBe(200);
    expect(sla.body).toMatchObject({ slas: [{ name: "host: recovery rate", verdict: "no_data" }] });

    expect(await get(port, "/health", "HEAD")).toEqual({ status: 503, body: null });
    expect((await get(port, "/health", "POST")).status).toBe(405);
    expect((await fetch(`http://127.0.0.1:${port}/metrics`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(404);
  });

  it("do not serve /sla without an SLA source", async () => {
    const routes = healthRoutes({ health: new HealthRegistry() });
    const port = await listen(
      createServer((req, res) => {
        void Promise.resolve(routes(req, res)).then((answered) => {
          if (!answered) res.writeHead(404).end();
        });
      }),
    );
    expect((await fetch(`http://127.0.0.1:${port}/sla`)).status).toBe(404);
  });
});
