// A hand-written check for the common, valid event: it accepts only what `EventEnvelope` accepts
// and yields the same output, so zod stays the source of truth (and of every error message).
import { z } from "zod";
import { EVENT_TYPE_PATTERN, type EventEnvelope } from "./envelope";

/** The same pattern `z.iso.datetime({ offset: true, local: false })` builds for `EventEnvelope.timestamp`. */
export const TIMESTAMP_PATTERN: RegExp = z.regexes.datetime({ offset: true, local: false, precision: null });
const EVENT_TYPE = EVENT_TYPE_PATTERN;
const DOTS_ONLY = /^\.+$/;

/** Longest value of each optional text field (`EventEnvelope`'s `.max`). */
const TEXT_MAX = new Map<string, number>([
  ["eventId", 128],
  ["eventSource", 256],
  ["version", 64],
  ["userId", 256],
  ["sessionId", 256],
  ["correlationId", 256],
  ["environment", 64],
  ["region", 64],
]);

/** What the fast path yields: zod's output, the JSON texts of the data parts, and a size bound. */
export interface FastEnvelope {
  envelope: EventEnvelope;
  payload: string | null;
  metadata: string | null;
  /**
   * Upper bound of the UTF-8 size of `JSON.stringify(value)`, or -1 when the value carries
   * fields the bound does not cover (then measure the text itself).
   */
  maxBytes: number;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** A `z.record` value the fast path can pass on as is (zod drops an own `__proto__` key). */
function isPlainRecord(v: unknown): v is Record<string, unknown> {
  return isRecord(v) && !Object.hasOwn(v, "__proto__");
}

/** Worst case per serialized string character: a 6-byte `\uXXXX` escape. */
const BYTES_PER_CHAR = 6;

/**
 * The envelope of a JSON-parsed event that `EventEnvelope` accepts, or null when the value needs
 * zod's verdict (an invalid event, or a shape this check does not cover). Never accepts what zod
 * rejects; `test/node/ingest-fast-envelope.test.ts` holds it to that.
 */
export function fastEnvelope(value: Record<string, unknown>): FastEnvelope | null {
  const eventType = value.eventType;
  if (
    typeof eventType !== "string" ||
    eventType.length < 1 ||
    eventType.length > 128 ||
    !EVENT_TYPE.test(eventType) ||
    DOTS_ONLY.test(eventType)
  ) {
    return null;
  }
  const timestamp = value.timestamp;
  if (timestamp !== undefined && (typeof timestamp !== "string" || !TIMESTAMP_PATTERN.test(timestamp))) return null;
  let bound = 2 + 16 + BYTES_PER_CHAR * eventType.length;
  let covered = true;
  for (const key in value) {
    const v = value[key];
    if (key === "eventType") continue;
    if (key === "timestamp") {
      bound += 16 + BYTES_PER_CHAR * (v as string).length;
      continue;
    }
    if (key === "data") continue;
    const max = TEXT_MAX.get(key);
    if (max !== undefined) {
      if (typeof v !== "string" || v.length > max || (key === "eventId" && v.length === 0)) return null;
      bound += 20 + BYTES_PER_CHAR * v.length;
    } else covered = false;
  }
  const data = value.data;
  let payload: string | null = null;
  let metadata: string | null = null;
  if (data !== undefined) {
    if (!isRecord(data)) return null;
    const p = data.payload;
    const m = data.metadata;
    if (p !== undefined) {
      if (!isPlainRecord(p)) return null;
      payload = JSON.stringify(p);
    }
    if (m !== undefined) {
      if (!isPlainRecord(m)) return null;
      metadata = JSON.stringify(m);
    }
    // A JSON text's characters take at most 3 bytes each in UTF-8 (a pair of surrogates, 4).
    bound += 32 + 3 * ((payload?.length ?? 0) + (metadata?.length ?? 0));
    for (const key in data) if (key !== "payload" && key !== "metadata") covered = false;
  }
  const envelope = { eventType } as EventEnvelope;
  if (timestamp !== undefined) envelope.timestamp = timestamp as string;
  for (const key of TEXT_MAX.keys()) {
    const v = value[key];
    if (v !== undefined) (envelope as Record<string, unknown>)[key] = v;
  }
  if (data !== undefined) {
    const out: { payload?: Record<string, unknown>; metadata?: Record<string, unknown> } = {};
    if (payload !== null) out.payload = (data as Record<string, Record<string, unknown>>).payload;
    if (metadata !== null) out.metadata = (data as Record<string, Record<string, unknown>>).metadata;
    envelope.data = out;
  }
  return { envelope, payload, metadata, maxBytes: covered ? bound : -1 };
}
