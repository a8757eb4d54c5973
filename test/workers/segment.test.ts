// Segment's HTTP Tracking API in workerd: write keys, answers, limits, gzip, quarantine of rejected messages.
import { describe, expect, it } from "vitest";
import { call, createKey, createProject, expectEnvelope } from "./helpers";

interface Answer {
  success: boolean;
  accepted: number;
  rejected: number;
  errors: { index: number; code: string; message: string; details?: Record<string, unknown> }[];
}

async function keys() {
  const project = await createProject("segment");
  const { key: ingest } = await createKey(project.adminKey, ["ingest"]);
  const { key: query } = await createKey(project.adminKey, ["query"]);
  return { ...project, ingest, query };
}

const basic = (key: string) => ({ Authorization: `Basic ${btoa(`${key}:`)}`, "Content-Type": "application/json" });

function send(path: string, body: BodyInit, headers: Record<string, string>) {
  return call(path, { method: "POST", body, headers });
}

async function gzip(text: string): Promise<Uint8Array> {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

const track = (i: number, extra: Record<string, unknown> = {}) => ({
  type: "track",
  event: "Order Completed",
  messageId: `m-${i}`,
  userId: `u${i}`,
  properties: { total: i },
  ...extra,
});

describe("Segment Tracking API", () => {
  it("takes a batch with the write key as HTTP Basic user name and answers success", async () => {
    const p = await keys();
    const res = await send(
      "/v1/batch",
      JSON.stringify({ batch: [track(1), { type: "identify", userId: "u1", traits: { plan: "pro" } }] }),
      basic(p.ingest),
    );
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ success: true, accepted: 2, rejected: 0, errors: [] });
  });

  it("takes the write key from the body and from Bearer, on every single-call route", async () => {
    const p = await keys();
    const calls: [string, Record<string, unknown>][] = [
      ["/v1/track", { event: "Signed Up", userId: "u" }],
      ["/v1/identify", { userId: "u", traits: {} }],
      ["/v1/page", { anonymousId: "a", name: "Home" }],
      ["/v1/screen", { anonymousId: "a", name: "Cart" }],
      ["/v1/group", { userId: "u", groupId: "g" }],
      ["/v1/alias", { userId: "u", previousId: "a" }],
    ];
    for (const [path, message] of calls) {
      const viaBody = await send(path, JSON.stringify({ ...message, writeKey: p.ingest }), {
        "Content-Type": "application/json",
      });
      expect(viaBody.status, path).toBe(200);
      expect(await viaBody.json()).toMatchObject({ success: true, accepted: 1 });
      const viaBearer = await send(path, JSON.stringify(message), {
        Authorization: `Bearer ${p.ingest}`,
        "Content-Type": "application/json",
      });
      expect(viaBearer.status, path).toBe(200);
    }
  });

  it("refuses a missing or unknown write key with 401 and a key without ingest with 403", async () => {
    const p = await keys();
    const body = JSON.stringify({ batch: [track(1)] });
    const none = await send("/v1/batch", body, { "Content-Type": "application/json" });
    expect(none.status).toBe(401);
    expect((await expectEnvelope(none)).code).toBe("UNAUTHORIZED");
    const unknown = await send("/v1/batch", body, basic(`tk_${"x".repeat(43)}`));
    expect(unknown.status).toBe(401);
    const wrongScope = await send("/v1/batch", body, basic(p.query));
    expect(wrongScope.status).toBe(403);
    expect((await expectEnvelope(wrongScope)).code).toBe("FORBIDDEN");
  });

  it("reads a gzip body", async () => {
    const p = await keys();
    const res = await send("/v1/batch", await gzip(JSON.stringify({ batch: [track(1), track(2)] })), {
      ...basic(p.ingest),
      "Content-Encoding": "gzip",
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ accepted: 2 });
  });

  it("answers 400 for invalid JSON, a message over 32 KB and a batch over 500 KB", async () => {
    const p = await keys();
    const broken = await send("/v1/batch", "{", basic(p.ingest));
    expect(broken.status).toBe(400);
    expect((await expectEnvelope(broken)).code).toBe("INVALID_JSON");

    const big = track(1, { properties: { pad: "x".repeat(33 * 1024) } });
    const oneTooBig = await send("/v1/batch", JSON.stringify({ batch: [track(0), big] }), basic(p.ingest));
    expect(oneTooBig.status).toBe(400);
    expect((await expectEnvelope(oneTooBig)).details).toMatchObject({ index: 1 });
    const single = await send("/v1/track", JSON.stringify(big), basic(p.ingest));
    expect(single.status).toBe(400);

    const many = Array.from({ length: 60 }, (_, i) => track(i, { properties: { pad: "y".repeat(9 * 1024) } }));
    const plain = await send("/v1/batch", JSON.stringify({ batch: many }), basic(p.ingest));
    expect(plain.status).toBe(400);
    expect((await expectEnvelope(plain)).details).toMatchObject({ limit_bytes: 500 * 1024 });
    // The same batch gzip-compressed is within the 4 MB allowed to gzip bodies (RudderStack's SDK).
    const zipped = await send("/v1/batch", await gzip(JSON.stringify({ batch: many })), {
      ...basic(p.ingest),
      "Content-Encoding": "gzip",
    });
    expect(zipped.status).toBe(200);
    expect(await zipped.json()).toMatchObject({ accepted: 60 });
  });

  it("gives every message a verdict and quarantines the rejected ones as Tarn events", async () => {
    const p = await keys();
    const res = await send(
      "/v1/batch",
      JSON.stringify({ batch: [track(1), { type: "track", userId: "u" }, track(3, { event: "a/b" }), track(4)] }),
      basic(p.ingest),
    );
    expect(res.status).toBe(200);
    const answer = (await res.json()) as Answer;
    expect(answer).toMatchObject({ success: true, accepted: 2, rejected: 2 });
    expect(answer.errors.map((e) => [e.index, e.code])).toEqual([
      [1, "VALIDATION_ERROR"],
      [2, "VALIDATION_ERROR"],
    ]);
    const q = (await (await call("/v1/quarantine", { token: p.adminKey })).json()) as {
      events: { index: number; reason: string; raw: string }[];
    };
    expect(q.events.map((e) => e.index)).toEqual([1, 2]);
    expect(q.events[0]?.reason).toBe("event is required for a track call");
    expect(JSON.parse(q.events[1]?.raw ?? "{}")).toMatchObject({ eventType: "a/b", eventId: "m-3" });
  });

  it("holds Segment events to their event type's contract, as /v1/events does", async () => {
    const p = await keys();
    const contract = await call(`/v1/contracts/${encodeURIComponent("Order Completed")}`, {
      method: "PUT",
      token: p.adminKey,
      json: {
        schema: { type: "object", properties: { total: { type: "number", minimum: 0 } }, required: ["total"] },
        mode: "enforce",
      },
    });
    expect(contract.status).toBe(201);
    const res = await send(
      "/v1/batch",
      JSON.stringify({ batch: [track(1), track(2, { properties: { total: "two" } }), track(3, { properties: {} })] }),
      basic(p.ingest),
    );
    expect(res.status).toBe(200);
    const answer = (await res.json()) as Answer;
    expect(answer).toMatchObject({ success: true, accepted: 1, rejected: 2 });
    expect(answer.errors.map((e) => [e.index, e.code, e.details?.path, e.details?.keyword])).toEqual([
      [1, "CONTRACT_VIOLATION", "/total", "type"],
      [2, "CONTRACT_VIOLATION", "/total", "required"],
    ]);
  });

  it("lists the routes in the OpenAPI document", async () => {
    const doc = (await (await call("/openapi.json")).json()) as { paths: Record<string, unknown> };
    for (const route of ["batch", "track", "identify", "page", "screen", "group", "alias"]) {
      expect(doc.paths[`/v1/${route}`]).toBeDefined();
    }
  });
});
