// The fast envelope check agrees with zod: it accepts only what EventEnvelope accepts, with zod's output.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { acceptEvent, type EdgeContext } from "../../shared/events/accept-event";
import { describeIssue, EventEnvelope, type EventRejection, MAX_FUTURE_MS } from "../../shared/events/envelope";
import { fastEnvelope, TIMESTAMP_PATTERN } from "../../shared/events/fast-envelope";
import type { QueuedEvent } from "../../shared/events/queue-message";
import { readEvents } from "../../shared/events/read-events";

const ctx: EdgeContext = {
  receivedAt: Date.UTC(2026, 10, 22, 12),
  requestId: "req-1",
  country: "NL",
  colo: "AMS",
  maxEventBytes: 2048,
  newId: () => "generated-id",
};

/** The verdict as it was before the fast path: always zod, always the re-serialized text's size. */
function zodOnlyVerdict(
  value: unknown,
  index: number,
): { ok: true; event: QueuedEvent } | { ok: false; rejection: EventRejection } {
  const raw = JSON.stringify(value) ?? "";
  const bytes = new TextEncoder().encode(raw).length;
  if (bytes > ctx.maxEventBytes) {
    return {
      ok: false,
      rejection: {
        index,
        code: "PAYLOAD_TOO_LARGE",
        message: `event is ${bytes} bytes; the limit is ${ctx.maxEventBytes}`,
      },
    };
  }
  if (!value || typeof value !== "object" || Array.isArray(value)) {
    return { ok: false, rejection: { index, code: "VALIDATION_ERROR", message: "an event must be a JSON object" } };
  }
  const parsed = EventEnvelope.safeParse(value);
  if (!parsed.success) {
    return { ok: false, rejection: { index, code: "VALIDATION_ERROR", message: describeIssue(parsed.error) } };
  }
  const e = parsed.data;
  const ts = e.timestamp === undefined ? ctx.receivedAt : Date.parse(e.timestamp);
  if (ts > ctx.receivedAt + MAX_FUTURE_MS) {
    return {
      ok: false,
      rejection: { index, code: "VALIDATION_ERROR", message: "timestamp is more than 24 h in the future" },
    };
  }
  return {
    ok: true,
    event: {
      event_id: e.eventId ?? ctx.newId(),
      event_type: e.eventType,
      ts,
      received_at: ctx.receivedAt,
      user_id: e.userId ?? null,
      session_id: e.sessionId ?? null,
      correlation_id: e.correlationId ?? null,
      source: e.eventSource ?? null,
      version: e.version ?? null,
      environment: e.environment ?? null,
      region: e.region ?? null,
      request_id: ctx.requestId,
      country: ctx.country,
      colo: ctx.colo,
      payload: e.data?.payload === undefined ? null : JSON.stringify(e.data.payload),
      metadata: e.data?.metadata === undefined ? null : JSON.stringify(e.data.metadata),
    },
  };
}

/** Mostly valid, sometimes not: the fast path's accepting side needs to be exercised too. */
const mostly = <T, U>(valid: fc.Arbitrary<T>, other: fc.Arbitrary<U>) =>
  fc.oneof({ arbitrary: valid, weight: 8 }, { arbitrary: other, weight: 1 });

const json = fc.jsonValue({ maxDepth: 3 });

const text = (max: number) =>
  mostly(
    fc.oneof(
      fc.string({ maxLength: max }),
      fc.string({ unit: "binary", maxLength: 20 }),
      fc.string({ unit: fc.constantFrom("a", "é", "€", "😀", '"', "\\", "\n", "\u0001", "\ud800"), maxLength: 12 }),
      fc.constant("x".repeat(max)),
    ),
    fc.oneof(fc.constant("x".repeat(max + 1)), json),
  );

const eventType = mostly(
  fc.oneof(fc.stringMatching(/^[A-Za-z0-9_.:-]{1,12}$/), fc.constantFrom("page.view", "x".repeat(128), ".a", "a.")),
  fc.oneof(fc.constantFrom("", ".", "..", "a b", "a/b", "é", "x".repeat(129)), fc.string({ maxLength: 6 }), json),
);

const timestamp = mostly(
  fc.oneof(
    fc.date({ min: new Date(0), max: new Date(4e12), noInvalidDate: true }).map((d) => d.toISOString()),
    fc
      .date({ min: new Date(0), max: new Date(4e12), noInvalidDate: true })
      .map((d) => d.toISOString().replace(".", ".123").replace("Z", "-05:30")),
  ),
  fc.oneof(
    fc.date({ min: new Date(-1e13), max: new Date(1e13), noInvalidDate: true }).map((d) => d.toISOString()),
    fc.constantFrom(
      "2026-11-22T11:00:00Z",
      "2026-11-22T11:00:00.123456789Z",
      "2026-11-22T11:00Z",
      "2026-11-22T11:00:00",
      "2026-11-22T11:00:00z",
      "2026-11-22t11:00:00Z",
      "2026-11-22T11:00:00+24:00",
      "2026-11-22T11:00:00+2300",
      "2026-11-22T24:00:00Z",
      "2024-02-29T00:00:00Z",
      "2023-02-29T00:00:00Z",
      "1900-02-29T00:00:00Z",
      "2000-02-29T00:00:00Z",
      "2026-04-31T00:00:00Z",
      "2026-11-22T11:00:00.Z",
      "2026-11-22T11:00:60Z",
      "2026-11-22",
      "+002026-11-22T11:00:00Z",
      "2036-11-22T11:00:00Z",
      "2026-11-23T11:59:59.999Z",
      "2026-11-23T12:00:00.001Z",
    ),
    fc.string({ maxLength: 30 }),
    json,
  ),
);

const key = fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom("__proto__", "constructor", "toString", "0", "-1"));
const record = mostly(fc.dictionary(key, json, { maxKeys: 5 }), fc.oneof(json, fc.constant({ big: "z".repeat(1200) })));

const event = fc
  .tuple(
    fc.record(
      {
        eventType,
        eventId: text(128),
        timestamp,
        eventSource: text(256),
        version: text(64),
        userId: text(256),
        sessionId: text(256),
        correlationId: text(256),
        environment: text(64),
        region: text(64),
        data: mostly(fc.record({ payload: record, metadata: record }, { requiredKeys: [] }), json),
      },
      { requiredKeys: [] },
    ),
    fc.option(
      fc.record(
        {
          extra: json,
          __proto__: record,
          constructor: json,
          big: fc.constant("y".repeat(1500)),
          dataExtra: json,
        },
        { requiredKeys: [] },
      ),
      { freq: 4 },
    ),
  )
  .map(([core, extra]) => {
    if (!extra) return core;
    const { dataExtra, ...rest } = extra;
    const out: Record<string, unknown> = { ...core };
    for (const [k, v] of Object.entries(rest)) Object.defineProperty(out, k, { value: v, enumerable: true });
    if (dataExtra !== undefined && core.data && typeof core.data === "object" && !Array.isArray(core.data)) {
      out.data = { ...(core.data as object), extra: dataExtra };
    }
    return out;
  });

/** Through JSON text, as the edge sees it: `__proto__` becomes an own key, `-0` becomes 0. */
const parsedEvent = mostly(event, json).map((v) => JSON.parse(JSON.stringify(v) ?? "null") as unknown);

describe("fastEnvelope", () => {
  it("accepts only what zod accepts, with zod's output and a true size bound", () => {
    fc.assert(
      fc.property(parsedEvent, (value) => {
        if (!value || typeof value !== "object" || Array.isArray(value)) return;
        const fast = fastEnvelope(value as Record<string, unknown>);
        if (!fast) return;
        const zod = EventEnvelope.safeParse(value);
        expect(zod.success).toBe(true);
        if (!zod.success) return;
        expect(fast.envelope).toEqual(zod.data);
        expect(fast.payload).toBe(zod.data.data?.payload === undefined ? null : JSON.stringify(zod.data.data.payload));
        expect(fast.metadata).toBe(
          zod.data.data?.metadata === undefined ? null : JSON.stringify(zod.data.data.metadata),
        );
        if (fast.maxBytes >= 0) {
          expect(new TextEncoder().encode(JSON.stringify(value)).length).toBeLessThanOrEqual(fast.maxBytes);
        }
      }),
      { numRuns: 5000 },
    );
  });

  it("takes the common valid event", () => {
    const fast = fastEnvelope({
      eventType: "page.view",
      timestamp: "2026-11-22T11:00:00.250+01:00",
      userId: "u1",
      data: { payload: { path: "/" } },
    });
    expect(fast?.payload).toBe('{"path":"/"}');
  });

  it("uses zod's own timestamp pattern", () => {
    const schema = EventEnvelope.shape.timestamp.unwrap() as unknown as { _zod: { def: { pattern: RegExp } } };
    expect(TIMESTAMP_PATTERN.source).toBe(schema._zod.def.pattern.source);
  });
});

describe("acceptEvent", () => {
  it("gives the same verdict and message as zod alone", () => {
    fc.assert(
      fc.property(fc.array(parsedEvent, { maxLength: 5 }), (values) => {
        const read = readEvents(JSON.stringify(values), "application/json");
        if (!read.ok) throw new Error("expected a JSON array to read");
        read.items.forEach((item, index) => {
          expect(acceptEvent(item, index, ctx)).toEqual(zodOnlyVerdict(values[index], index));
        });
      }),
      { numRuns: 3000 },
    );
  });
});
