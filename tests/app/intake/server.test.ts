import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { signBody } from "../../../src/app/intake/signature.js";
import { type Harness, startIntake } from "./harness.js";
import { delivery, example, post, SECRET, send } from "./support.js";

let h: Harness;
beforeEach(async () => {
  h = await startIntake();
});
afterEach(async () => {
  await h.close();
});

describe("intake server", () => {
  it("records a delivery in the SQLite file before it answers 202", async () => {
    const d = await delivery(example("issues", "labeled"));
    const answer = await send(h.port, d);
    expect(answer.status).toBe(202);
    // Read right after the answer, through another connection: already committed.
    expect(h.inbox()).toEqual([{ id: d.id, name: "issues", status: "pending" }]);
    expect((await h.store.getDelivery(d.id))?.payload).toBe(d.body.toString("utf8"));
    expect(h.recordedCalls()).toBe(1);
  });

  it("answers a redelivery 200 and records it once", async () => {
    const d = await delivery(example("issue_comment", "created"));
    expect((await send(h.port, d)).status).toBe(202);
    expect((await send(h.port, d)).status).toBe(200);
    expect(h.inbox()).toHaveLength(1);
    expect(h.recordedCalls()).toBe(1);
  });

  it("verifies the signature over the raw bytes, whitespace and all", async () => {
    const raw = Buffer.from(`{ "zen" : "Keep it logically awesome.",\n  "hook_id": 1 }  `);
    const answer = await post(h.port, raw, {
      "x-github-delivery": "raw-1",
      "x-github-event": "ping",
      "x-hub-signature-256": signBody(SECRET, raw),
    });
    expect(answer.status).toBe(202);
    expect((await h.store.getDelivery("raw-1"))?.payload).toBe(raw.toString("utf8"));
  });

  describe("refusals record nothing", () => {
    const refusals: [
      string,
      (d: Awaited<ReturnType<typeof delivery>>) => Parameters<typeof post>,
      number,
      RegExp,
    ][] = [
      [
        "a bad signature",
        (d) => [h.port, d.body, { ...d.headers, "x-hub-signature-256": signBody("another secret", d.body) }],
        401,
        /signature/,
      ],
      [
        "a missing signature",
        (d) => [h.port, d.body, { ...d.headers, "x-hub-signature-256": undefined }],
        400,
        /x-hub-signature-256/,
      ],
      [
        "a missing delivery id",
        (d) => [h.port, d.body, { ...d.headers, "x-github-delivery": undefined }],
        400,
        /x-github-delivery/,
      ],
      [
        "a missing event name",
        (d) => [h.port, d.body, { ...d.headers, "x-github-event": undefined }],
        400,
        /x-github-event/,
      ],
      [
        "a signed body that is not JSON",
        (d) => {
          const bad = Buffer.from(d.body.toString("utf8").slice(0, -1));
          return [h.port, bad, { ...d.headers, "x-hub-signature-256": signBody(SECRET, bad) }];
        },
        400,
        /not JSON/,
      ],
      [
        "a signed JSON array",
        (d) => [h.port, Buffer.from("[]"), { ...d.headers, "x-hub-signature-256": signBody(SECRET, "[]") }],
        400,
        /not a JSON object/,
      ],
      [
        "a body tampered with after signing",
        (d) => [h.port, Buffer.from(d.body.toString().replace("labeled", "unlabeled")), d.headers],
        401,
        /signature/,
      ],
      [
        "a GET on the webhook path",
        (d) => [h.port, "", d.headers, "/api/github/webhooks", "GET"],
        405,
        /only POST/,
      ],
      ["a POST elsewhere", (d) => [h.port, d.body, d.headers, "/elsewhere"], 404, /not found/],
    ];
    for (const [what, build, status, says] of refusals) {
      it(`${what} → ${status}`, async () => {
        const d = await delivery(example("issues", "labeled"));
        const answer = await post(...build(d));
        expect(answer.status).toBe(status);
        expect(answer.body).toMatch(says);
        expect(h.inbox()).toEqual([]);
        expect(h.recordedCalls()).toBe(0);
      });
    }

    it("a 26 MB body announced by Content-Length → 413 before reading it", async () => {
      const d = await delivery(example("push"));
      const big = Buffer.alloc(26 * 1024 * 1024, 0x20);
      const answer = await post(h.port, big, { ...d.headers, "x-hub-signature-256": signBody(SECRET, big) });
      expect(answer.status).toBe(413);
      expect(h.inbox()).toEqual([]);
    });

    it("a 26 MB chunked body → 413 as soon as it passes the limit", async () => {
      const d = await delivery(example("push"));
      const chunk = Buffer.alloc(1024 * 1024, 0x20);
      let written = 0;
      const answer = await post(
        h.port,
        (write) => {
          for (let i = 0; i < 26; i++) {
            write(chunk);
            written++;
          }
        },
        { ...d.headers, "transfer-encoding": "chunked" },
      );
      expect(written).toBe(26);
      expect(answer.status).toBe(413);
      expect(answer.body).toMatch(/over the limit of 26214400/);
      expect(h.inbox()).toEqual([]);
    });
  });

  it("answers 500 and records nothing when the inbox cannot record", async () => {
    await h.store.close();
    const answer = await send(h.port, await delivery(example("issues", "opened")));
    expect(answer.status).toBe(500);
    expect(h.inbox()).toEqual([]);
    expect(h.log.lines.some((l) => l.level === "error" && /intake failed/.test(l.msg))).toBe(true);
  });
});

describe("other routes", () => {
  it("are answered by `routes`, and the rest get 404", async () => {
    const other = await startIntake({
      routes: (req, res) => {
        if (req.url !== "/health") return false;
        res.writeHead(200).end("ok");
        return true;
      },
    });
    try {
      expect(await post(other.port, "", {}, "/health", "GET")).toEqual({ status: 200, body: "ok" });
      expect((await post(other.port, "", {}, "/nope", "GET")).status).toBe(404);
    } finally {
      await other.close();
    }
  });
});
