import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { acceptEvent } from "../../shared/events/accept-event";
import { packBySize } from "../../shared/events/pack";
import { readEvents } from "../../shared/events/read-events";

describe("packBySize", () => {
  it("covers every event once, in order, and keeps chunks under the target unless one event is larger", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 5000 }), { maxLength: 300 }),
        fc.integer({ min: 100, max: 20_000 }),
        (sizes, target) => {
          const chunks = packBySize(sizes, { targetMessageBytes: target, maxMessageBytes: target });
          let next = 0;
          for (const [a, b] of chunks) {
            expect(a).toBe(next);
            expect(b).toBeGreaterThan(a);
            const bytes = sizes.slice(a, b).reduce((n, s) => n + s + 1, 0);
            if (b - a > 1) expect(bytes).toBeLessThanOrEqual(target);
            next = b;
          }
          expect(next).toBe(sizes.length);
        },
      ),
    );
  });
});

describe("readEvents", () => {
  it("tells the body shapes apart", () => {
    expect(readEvents('{"eventType":"a"}', "application/json")).toMatchObject({ ok: true, shape: "single" });
    expect(readEvents('[{"eventType":"a"}]', undefined)).toMatchObject({ ok: true, shape: "array" });
    expect(readEvents('{"events":[{"eventType":"a"}]}', "application/json")).toMatchObject({
      ok: true,
      shape: "events",
    });
    expect(readEvents('{"eventType":"a","events":[]}', "application/json")).toMatchObject({
      ok: true,
      shape: "single",
    });
    expect(readEvents("{x", "application/json")).toMatchObject({ ok: false });
  });

  it("keeps NDJSON lines apart, skipping blank lines and CRLF endings", () => {
    const read = readEvents('{"eventType":"a"}\r\n\r\n{oops\n{"eventType":"b"}', "application/x-ndjson");
    if (!read.ok) throw new Error("expected ok");
    expect(read.items.map((i) => i.raw)).toEqual(['{"eventType":"a"}', "{oops", '{"eventType":"b"}']);
    expect(read.items[1]?.parseError).toBeDefined();
  });
});

describe("acceptEvent", () => {
  const ctx = {
    receivedAt: Date.UTC(2026, 10, 22, 12),
    requestId: "req-1",
    country: "NL",
    colo: "AMS",
    maxEventBytes: 32 * 1024,
    newId: () => "generated-id",
  };
  const accept = (value: unknown) => acceptEvent({ value, raw: JSON.stringify(value) }, 0, ctx);

  it("enriches an accepted event", () => {
    const verdict = accept({ eventType: "order.created", userId: "u1", data: { payload: { total: 12.5 } } });
    expect(verdict).toEqual({
      ok: true,
      event: expect.objectContaining({
        event_id: "generated-id",
        event_type: "order.created",
        ts: ctx.receivedAt,
        received_at: ctx.receivedAt,
        user_id: "u1",
        request_id: "req-1",
        country: "NL",
        colo: "AMS",
        payload: '{"total":12.5}',
        metadata: null,
      }),
    });
  });

  it("keeps a producer's eventId and timestamp", () => {
    const verdict = accept({ eventType: "a", eventId: "mine", timestamp: "2026-11-22T11:00:00.250+01:00" });
    expect(verdict.ok && verdict.event).toMatchObject({ event_id: "mine", ts: Date.UTC(2026, 10, 22, 10, 0, 0, 250) });
  });

  it("rejects with a reason naming the field", () => {
    const cases: [unknown, string][] = [
      [{}, "eventType is required"],
      [{ eventType: ".." }, "eventType must not consist of dots only"],
      [{ eventType: "a/b" }, "eventType must use only printable characters other than /"],
      [{ eventType: "a\nb" }, "eventType must use only printable characters other than /"],
      [{ eventType: "a", timestamp: "yesterday" }, "timestamp must be an ISO-8601 date-time"],
      [{ eventType: "a", userId: 7 }, "userId"],
      [{ eventType: "a", data: { payload: [1] } }, "data.payload"],
      [[1, 2], "an event must be a JSON object"],
    ];
    for (const [value, message] of cases) {
      const verdict = accept(value);
      expect(verdict.ok).toBe(false);
      if (!verdict.ok) expect(verdict.rejection.message).toContain(message);
    }
  });
});
