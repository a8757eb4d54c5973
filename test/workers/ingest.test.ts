import { createExecutionContext, env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createApp } from "../../workers/app";
import { BASE, call, createKey, createProject, expectEnvelope } from "./helpers";

interface Receipt {
  accepted: number;
  rejected: number;
  errors: { index: number; code: string; message: string }[];
  request_id: string;
}

interface QuarantinePage {
  events: { index: number; code: string; reason: string; raw: string; request_id: string; received_at: string }[];
  next_cursor: string | null;
}

async function ingestKey() {
  const project = await createProject("ingest");
  const { key } = await createKey(project.adminKey, ["ingest"]);
  return { ...project, ingest: key };
}

function post(token: string, body: BodyInit, headers: Record<string, string> = { "Content-Type": "application/json" }) {
  return call("/v1/events", { method: "POST", token, body, headers });
}

async function gzip(text: string | Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

const ev = (i: number, extra: Record<string, unknown> = {}) => ({ eventType: "page.view", userId: `u${i}`, ...extra });

describe("POST /v1/events", () => {
  it("gives a receipt for mixed valid and invalid events and quarantines the rejected ones", async () => {
    const p = await ingestKey();
    const future = new Date(Date.now() + 48 * 3600_000).toISOString();
    const res = await post(
      p.ingest,
      JSON.stringify([
        ev(1),
        { userId: "no-type" },
        ev(2),
        { eventType: "bad/type" },
        ev(3, { timestamp: future }),
        42,
      ]),
    );
    expect(res.status).toBe(202);
    const receipt = (await res.json()) as Receipt;
    expect(receipt.accepted).toBe(2);
    expect(receipt.rejected).toBe(4);
    expect(receipt.errors.map((e) => [e.index, e.code])).toEqual([
      [1, "VALIDATION_ERROR"],
      [3, "VALIDATION_ERROR"],
      [4, "VALIDATION_ERROR"],
      [5, "VALIDATION_ERROR"],
    ]);
    expect(receipt.errors[0]?.message).toBe("eventType is required");
    expect(receipt.errors[2]?.message).toContain("future");

    const q = await call("/v1/quarantine", { token: p.adminKey });
    expect(q.status).toBe(200);
    const page = (await q.json()) as QuarantinePage;
    expect(page.events.map((e) => e.index)).toEqual([1, 3, 4, 5]);
    expect(page.events[0]).toMatchObject({
      code: "VALIDATION_ERROR",
      reason: "eventType is required",
      raw: '{"userId":"no-type"}',
    });
    expect(page.events.every((e) => e.request_id === receipt.request_id)).toBe(true);
  });

  it("accepts one event, an array and {events: [...]}", async () => {
    const p = await ingestKey();
    for (const [body, n] of [
      [ev(1), 1],
      [[ev(1), ev(2)], 2],
      [{ events: [ev(1), ev(2), ev(3)] }, 3],
    ] as const) {
      const res = await post(p.ingest, JSON.stringify(body));
      expect(res.status).toBe(202);
      expect(((await res.json()) as Receipt).accepted).toBe(n);
    }
  });

  it("answers a parseable body whose events are all invalid with 202 and accepted 0", async () => {
    const p = await ingestKey();
    const res = await post(p.ingest, JSON.stringify([{ nope: 1 }, { eventType: "" }]));
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({ accepted: 0, rejected: 2 });
  });

  it("answers an unparseable body with 400 INVALID_JSON", async () => {
    const p = await ingestKey();
    const res = await post(p.ingest, '{"eventType": "a",');
    expect(res.status).toBe(400);
    expect((await expectEnvelope(res)).code).toBe("INVALID_JSON");
  });

  it("rejects only the broken line of an NDJSON body", async () => {
    const p = await ingestKey();
    const body = [JSON.stringify(ev(1)), "{broken", "", JSON.stringify(ev(2))].join("\n");
    const res = await post(p.ingest, body, { "Content-Type": "application/x-ndjson" });
    expect(res.status).toBe(202);
    const receipt = (await res.json()) as Receipt;
    expect(receipt).toMatchObject({ accepted: 2, rejected: 1 });
    expect(receipt.errors[0]).toMatchObject({ index: 1, code: "INVALID_JSON" });
    const page = (await (await call("/v1/quarantine", { token: p.adminKey })).json()) as QuarantinePage;
    expect(page.events[0]?.raw).toBe("{broken");
  });

  it("decompresses a gzip body", async () => {
    const p = await ingestKey();
    const body = await gzip(JSON.stringify([ev(1), ev(2), ev(3)]));
    const res = await post(p.ingest, body, { "Content-Type": "application/json", "Content-Encoding": "gzip" });
    expect(res.status).toBe(202);
    expect(((await res.json()) as Receipt).accepted).toBe(3);
  });

  it("stops a gzip bomb at the decompressed-size cap with 413", async () => {
    const p = await ingestKey();
    const bomb = await gzip(new Uint8Array(64 * 1024 * 1024).fill(32));
    expect(bomb.byteLength).toBeLessThan(200 * 1024);
    const res = await post(p.ingest, bomb, { "Content-Type": "application/json", "Content-Encoding": "gzip" });
    expect(res.status).toBe(413);
    expect((await expectEnvelope(res)).code).toBe("PAYLOAD_TOO_LARGE");
  });

  it("answers a corrupt gzip body and an unknown encoding with clear 4xx errors", async () => {
    const p = await ingestKey();
    const corrupt = await post(p.ingest, "not gzip at all", {
      "Content-Type": "application/json",
      "Content-Encoding": "gzip",
    });
    expect(corrupt.status).toBe(400);
    expect((await expectEnvelope(corrupt)).code).toBe("VALIDATION_ERROR");
    const br = await post(p.ingest, "{}", { "Content-Type": "application/json", "Content-Encoding": "br" });
    expect(br.status).toBe(415);
  });

  it("reads plain bodies whole and refuses invalid UTF-8 with 400, as it does inside gzip", async () => {
    const p = await ingestKey();
    const utf8 = await post(p.ingest, JSON.stringify([ev(1, { data: { payload: { city: "Zürich — 東京" } } })]));
    expect(((await utf8.json()) as Receipt).accepted).toBe(1);
    const invalid = new Uint8Array([
      ...new TextEncoder().encode('[{"eventType":"x","userId":"'),
      0xff,
      0xfe,
      0x22,
      0x7d,
      0x5d,
    ]);
    for (const res of [
      await post(p.ingest, invalid),
      await post(p.ingest, await gzip(invalid), {
        "Content-Type": "application/json",
        "Content-Encoding": "gzip",
      }),
    ]) {
      expect(res.status).toBe(400);
      expect((await expectEnvelope(res)).code).toBe("INVALID_JSON");
    }
  });

  it("enforces the body, event and count limits with 413", async () => {
    const p = await ingestKey();
    const big = JSON.stringify([{ eventType: "x", data: { payload: { s: "a".repeat(11 * 1024 * 1024) } } }]);
    const tooBig = await post(p.ingest, big);
    expect(tooBig.status).toBe(413);
    expect((await expectEnvelope(tooBig)).details).toEqual({ limit_bytes: 10 * 1024 * 1024 });

    const many = JSON.stringify(Array.from({ length: 10_001 }, () => ({ eventType: "x" })));
    const tooMany = await post(p.ingest, many);
    expect(tooMany.status).toBe(413);
    expect((await expectEnvelope(tooMany)).message).toContain("10000");

    const fat = { eventType: "x", data: { payload: { s: "a".repeat(33 * 1024) } } };
    const single = await post(p.ingest, JSON.stringify(fat));
    expect(single.status).toBe(413);

    const inBatch = await post(p.ingest, JSON.stringify([ev(1), fat]));
    expect(inBatch.status).toBe(202);
    const receipt = (await inBatch.json()) as Receipt;
    expect(receipt).toMatchObject({ accepted: 1, rejected: 1 });
    expect(receipt.errors[0]).toMatchObject({ index: 1, code: "PAYLOAD_TOO_LARGE" });
  });

  it("refuses an unsupported media type with 415", async () => {
    const p = await ingestKey();
    const res = await post(p.ingest, "<xml/>", { "Content-Type": "application/xml" });
    expect(res.status).toBe(415);
  });

  it("needs the ingest scope", async () => {
    const p = await createProject();
    const { key } = await createKey(p.adminKey, ["query"]);
    const res = await post(key, JSON.stringify(ev(1)));
    expect(res.status).toBe(403);
    expect((await expectEnvelope(res)).code).toBe("FORBIDDEN");
  });

  it("answers 503 with Retry-After and accepts nothing when the queue refuses", async () => {
    const p = await ingestKey();
    // Messages packed to ~200 KB exceed the queue's 128 KB message limit: the real queue refuses.
    const app = createApp();
    const events = Array.from({ length: 150 }, (_, i) => ev(i, { data: { payload: { pad: "x".repeat(1000) } } }));
    const body = JSON.stringify([...events, { bad: true }]);
    const res = await app.fetch(
      new Request(`${BASE}/v1/events`, {
        method: "POST",
        headers: { Authorization: `Bearer ${p.ingest}`, "Content-Type": "application/json" },
        body,
      }),
      { ...env, INGEST_MESSAGE_BYTES: String(200 * 1024) },
      createExecutionContext(),
    );
    expect(res.status).toBe(503);
    expect(res.headers.get("Retry-After")).toBe("5");
    expect((await expectEnvelope(res)).code).toBe("UNAVAILABLE");
    const page = (await (await call("/v1/quarantine", { token: p.adminKey })).json()) as QuarantinePage;
    expect(page.events).toEqual([]);
  });

  it("pages through the quarantine with a cursor, never repeating or skipping", async () => {
    const p = await ingestKey();
    await post(p.ingest, JSON.stringify([{ a: 1 }, { a: 2 }, { a: 3 }]));
    await post(p.ingest, JSON.stringify([{ a: 4 }, { a: 5 }]));
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const qs: string = cursor ? `?limit=2&cursor=${encodeURIComponent(cursor)}` : "?limit=2";
      const page = (await (await call(`/v1/quarantine${qs}`, { token: p.adminKey })).json()) as QuarantinePage;
      expect(page.events.length).toBeLessThanOrEqual(2);
      seen.push(...page.events.map((e) => e.raw));
      cursor = page.next_cursor;
    } while (cursor);
    expect(seen).toEqual(['{"a":1}', '{"a":2}', '{"a":3}', '{"a":4}', '{"a":5}']);

    const bad = await call("/v1/quarantine?cursor=garbage", { token: p.adminKey });
    expect(bad.status).toBe(400);
    const other = await ingestKey();
    const foreign = await call(`/v1/quarantine?limit=1`, { token: p.adminKey });
    const cursorOfP = ((await foreign.json()) as QuarantinePage).next_cursor as string;
    const cross = await call(`/v1/quarantine?cursor=${encodeURIComponent(cursorOfP)}`, { token: other.adminKey });
    expect(cross.status).toBe(400);
  });
});
