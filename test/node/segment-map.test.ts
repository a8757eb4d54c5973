// Segment Tracking API messages mapped to Tarn envelopes, write keys read from headers, lake key segments.
import { describe, expect, it } from "vitest";
import { acceptEvent } from "../../shared/events/accept-event";
import { eventFromTuple, eventTuple } from "../../shared/events/event-tuple";
import { datasetSegment, lakeKey } from "../../shared/lake/partition";
import { mapSegmentMessage } from "../../shared/segment/map-message";
import { readSegmentBody, writeKeyFromHeader } from "../../shared/segment/read-request";

const edge = {
  receivedAt: Date.UTC(2026, 10, 30, 12),
  requestId: "r1",
  country: null,
  colo: null,
  maxEventBytes: 32 * 1024,
  newId: () => "generated",
};

describe("mapSegmentMessage", () => {
  it("maps a track call to an event named as sent, with properties as payload and messageId as eventId", () => {
    const mapped = mapSegmentMessage(
      {
        type: "track",
        event: "Order Completed",
        messageId: "m-1",
        userId: 42,
        anonymousId: "anon-1",
        timestamp: "2026-11-30T10:00:00.000Z",
        properties: { total: 9.5, currency: "EUR" },
        context: { library: { name: "@segment/analytics-node", version: "3.1.0" }, ip: "1.2.3.4" },
      },
      null,
      {},
    );
    expect(mapped).toEqual({
      ok: true,
      envelope: {
        eventType: "Order Completed",
        eventId: "m-1",
        userId: "42",
        eventSource: "@segment/analytics-node",
        timestamp: "2026-11-30T10:00:00.000Z",
        data: {
          payload: { total: 9.5, currency: "EUR" },
          metadata: {
            anonymousId: "anon-1",
            context: { library: { name: "@segment/analytics-node", version: "3.1.0" }, ip: "1.2.3.4" },
          },
        },
      },
    });
    if (!mapped.ok) return;
    const verdict = acceptEvent({ value: mapped.envelope }, 0, edge);
    expect(verdict.ok && verdict.event).toMatchObject({
      event_id: "m-1",
      event_type: "Order Completed",
      user_id: "42",
      ts: Date.UTC(2026, 10, 30, 10),
      payload: '{"total":9.5,"currency":"EUR"}',
    });
  });

  it("names other calls by their type and keeps their own fields in metadata", () => {
    const identify = mapSegmentMessage({ anonymousId: "a", traits: { plan: "pro" } }, "identify", {});
    expect(identify.ok && identify.envelope).toMatchObject({
      eventType: "identify",
      userId: "a",
      data: { payload: { plan: "pro" }, metadata: { anonymousId: "a" } },
    });
    const page = mapSegmentMessage({ type: "page", userId: "u", name: "Home", category: "Docs" }, null, {});
    expect(page.ok && page.envelope).toMatchObject({
      eventType: "page",
      data: { metadata: { name: "Home", category: "Docs" } },
    });
    const group = mapSegmentMessage({ type: "group", userId: "u", groupId: 7, traits: { seats: 3 } }, null, {});
    expect(group.ok && group.envelope).toMatchObject({
      eventType: "group",
      data: { payload: { seats: 3 }, metadata: { groupId: 7 } },
    });
    const alias = mapSegmentMessage({ type: "alias", userId: "u", previousId: "anon" }, null, {});
    expect(alias.ok && alias.envelope).toMatchObject({
      eventType: "alias",
      data: { metadata: { previousId: "anon" } },
    });
    const screen = mapSegmentMessage({ type: "screen", userId: "u", name: "Cart" }, null, {});
    expect(screen.ok && screen.envelope).toMatchObject({ eventType: "screen" });
  });

  it("merges the batch's context and integrations under the message's own, key by key", () => {
    const mapped = mapSegmentMessage(
      { type: "track", event: "x", userId: "u", context: { app: "mine" }, integrations: { All: false } },
      null,
      { context: { app: "batch", locale: "de-DE" }, integrations: { All: true, Mixpanel: false } },
    );
    expect(mapped.ok && mapped.envelope.data).toMatchObject({
      metadata: { context: { app: "mine", locale: "de-DE" }, integrations: { All: false, Mixpanel: false } },
    });
  });

  it("takes originalTimestamp when there is no timestamp, and the receive time when neither is sent", () => {
    const orig = mapSegmentMessage(
      { type: "track", event: "x", userId: "u", originalTimestamp: "2026-11-30T09:00:00+01:00" },
      null,
      {},
    );
    expect(orig.ok && orig.envelope.timestamp).toBe("2026-11-30T08:00:00.000Z");
    const none = mapSegmentMessage({ type: "track", event: "x", userId: "u" }, null, {});
    expect(none.ok && "timestamp" in none.envelope).toBe(false);
  });

  it("rejects messages Segment's spec does not allow, with a reason", () => {
    const cases: [unknown, string][] = [
      [[1], "a Segment message must be a JSON object"],
      [{ type: "purchase", userId: "u" }, "type must be one of"],
      [{ type: "track", userId: "u" }, "event is required"],
      [{ type: "track", event: "x" }, "userId or anonymousId is required"],
      [{ type: "group", userId: "u" }, "groupId is required"],
      [{ type: "alias", userId: "u" }, "previousId is required"],
      [{ type: "track", event: "x", userId: "u", timestamp: "soon" }, "timestamp must be an ISO-8601 date-time"],
      [{ type: "track", event: "x", userId: "u", properties: [1] }, "properties must be an object"],
    ];
    for (const [message, reason] of cases) {
      const mapped = mapSegmentMessage(message, null, {});
      expect(mapped.ok).toBe(false);
      if (!mapped.ok) expect(mapped.message).toContain(reason);
    }
  });

  it("carries a Segment event name through the queue message's tuple form unchanged", () => {
    const mapped = mapSegmentMessage({ type: "track", event: "Order Completed", userId: "u" }, null, {});
    if (!mapped.ok) throw new Error(mapped.message);
    const verdict = acceptEvent({ value: mapped.envelope }, 0, edge);
    if (!verdict.ok) throw new Error(verdict.rejection.message);
    expect(eventFromTuple(eventTuple(verdict.event))).toEqual(verdict.event);
    expect(eventFromTuple(eventTuple({ ...verdict.event, event_type: "a/b" }))).toBe(
      "event_type must be a valid event type",
    );
  });

  it("leaves event names with a slash to the envelope's verdict", () => {
    const mapped = mapSegmentMessage({ type: "track", event: "a/b", userId: "u" }, null, {});
    expect(mapped.ok).toBe(true);
    if (!mapped.ok) return;
    const verdict = acceptEvent({ value: mapped.envelope }, 3, edge);
    expect(verdict.ok).toBe(false);
    if (!verdict.ok) expect(verdict.rejection).toMatchObject({ index: 3, code: "VALIDATION_ERROR" });
  });
});

describe("readSegmentBody and writeKeyFromHeader", () => {
  it("reads a batch with its defaults and a single call as one message", () => {
    const batch = readSegmentBody({ batch: [{ type: "track" }], context: { a: 1 }, writeKey: "tk_x" }, "batch");
    expect(batch).toEqual({
      ok: true,
      request: { messages: [{ type: "track" }], defaults: { context: { a: 1 } }, bodyWriteKey: "tk_x" },
    });
    expect(readSegmentBody({ batch: {} }, "batch")).toMatchObject({ ok: false });
    expect(readSegmentBody({ event: "x" }, "track")).toMatchObject({
      ok: true,
      request: { messages: [{ event: "x" }] },
    });
  });

  it("reads the key from Basic (user name or password) and Bearer", () => {
    expect(writeKeyFromHeader(`Basic ${btoa("tk_abc:")}`)).toBe("tk_abc");
    expect(writeKeyFromHeader(`Basic ${btoa(":tk_abc")}`)).toBe("tk_abc");
    expect(writeKeyFromHeader("Bearer tk_abc")).toBe("tk_abc");
    expect(writeKeyFromHeader("Basic !!!")).toBeNull();
    expect(writeKeyFromHeader(undefined)).toBeNull();
  });
});

describe("datasetSegment", () => {
  it("keeps the keys of plain names and escapes the rest as URL-safe ~HH", () => {
    expect(datasetSegment("page.view")).toBe("page.view");
    expect(datasetSegment("Order Completed")).toBe("Order~20Completed");
    expect(datasetSegment("Über (beta) ~")).toBe("~C3~9Cber~20~28beta~29~20~7E");
    expect(lakeKey({ project: "p", dataset: "Order Completed", dt: "2026-11-30", hr: 3 }, "bronze", "f")).toBe(
      "lake/p/bronze/Order~20Completed/dt=2026-11-30/hr=03/f.parquet",
    );
  });
});
