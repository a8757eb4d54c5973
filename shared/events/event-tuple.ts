// A queued event as a JSON array in lake-column order (queue messages v2), both ways.
//
// Keyed objects spend about 170 bytes of every event on field names ("correlation_id":null…):
// most of a queued event's JSON. Positional arrays halve the bytes the edge serializes, the queue
// carries and the consumer parses, fit twice the events in a message, and decode with a plain loop
// instead of a schema walk. The checks are exactly QueuedEvent's (test/node/event-tuple.test.ts
// compares them on random input), so the trust boundary is unchanged.
import { LAKE_COLUMNS } from "../lake/lake-row";
import { EVENT_TYPE_PATTERN } from "./envelope";
import type { QueuedEvent } from "./queue-message";

const FIELDS = LAKE_COLUMNS.map((c) => c.name);
/** Positions of the fields after the four required ones: all nullable text. */
const FIRST_TEXT = 4;
const DOTS_ONLY = /^\.+$/;

/** The event as an array of its fields in lake-column order. */
export function eventTuple(e: QueuedEvent): unknown[] {
  return [
    e.event_id,
    e.event_type,
    e.ts,
    e.received_at,
    e.user_id,
    e.session_id,
    e.correlation_id,
    e.source,
    e.version,
    e.environment,
    e.region,
    e.request_id,
    e.country,
    e.colo,
    e.payload,
    e.metadata,
  ];
}

/**
 * The event an array holds, or why it is not one (the field and what is wrong), with the same
 * rules as the QueuedEvent schema: a non-empty id, a valid event type, integer times, text or null.
 */
export function eventFromTuple(t: unknown): QueuedEvent | string {
  if (!Array.isArray(t) || t.length !== FIELDS.length) return `must be an array of ${FIELDS.length} fields`;
  const [id, type, ts, receivedAt] = t;
  if (typeof id !== "string" || id.length === 0) return "event_id must be a non-empty string";
  if (typeof type !== "string" || type.length > 128 || !EVENT_TYPE_PATTERN.test(type) || DOTS_ONLY.test(type)) {
    return "event_type must be a valid event type";
  }
  if (!Number.isSafeInteger(ts)) return "ts must be a safe integer";
  if (!Number.isSafeInteger(receivedAt)) return "received_at must be a safe integer";
  for (let i = FIRST_TEXT; i < t.length; i++) {
    const v = t[i];
    if (v !== null && typeof v !== "string") return `${FIELDS[i]} must be text or null`;
  }
  return {
    event_id: id,
    event_type: type,
    ts: ts as number,
    received_at: receivedAt as number,
    user_id: t[4],
    session_id: t[5],
    correlation_id: t[6],
    source: t[7],
    version: t[8],
    environment: t[9],
    region: t[10],
    request_id: t[11],
    country: t[12],
    colo: t[13],
    payload: t[14],
    metadata: t[15],
  };
}
