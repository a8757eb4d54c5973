// Validates one raw item against the envelope and enriches it into a queued lake record.
import { describeIssue, EventEnvelope, type EventRejection, MAX_FUTURE_MS } from "./envelope";
import { fastEnvelope } from "./fast-envelope";
import type { QueuedEvent } from "./queue-message";
import { type RawItem, rawText } from "./read-events";

export interface EdgeContext {
  receivedAt: number;
  requestId: string;
  country: string | null;
  colo: string | null;
  maxEventBytes: number;
  newId: () => string;
}

const encoder = new TextEncoder();

/** Byte length of a string in UTF-8 without allocating when it is plainly small. */
function utf8Length(s: string, limit: number): number {
  if (s.length * 3 <= limit) return s.length;
  return encoder.encode(s).length;
}

type Verdict = { ok: true; event: QueuedEvent } | { ok: false; rejection: EventRejection };

function tooLarge(item: RawItem, index: number, limit: number): Verdict | null {
  const bytes = utf8Length(rawText(item), limit);
  if (bytes <= limit) return null;
  return {
    ok: false,
    rejection: { index, code: "PAYLOAD_TOO_LARGE", message: `event is ${bytes} bytes; the limit is ${limit}` },
  };
}

/**
 * The verdict for one event: a queued record, or a rejection with its code and reason.
 * The common valid event takes `fastEnvelope`; anything else gets zod's verdict and message.
 */
export function acceptEvent(item: RawItem, index: number, ctx: EdgeContext): Verdict {
  if (item.rejection) return { ok: false, rejection: { index, ...item.rejection } };
  if (item.parseError !== undefined) {
    return {
      ok: false,
      rejection: { index, code: "INVALID_JSON", message: `line is not valid JSON: ${item.parseError}` },
    };
  }
  const value = item.value;
  const fast =
    value !== null && typeof value === "object" && !Array.isArray(value)
      ? fastEnvelope(value as Record<string, unknown>)
      : null;
  if (fast) {
    // Measure the text only when the bound cannot rule out an oversized event.
    if (fast.maxBytes < 0 || fast.maxBytes > ctx.maxEventBytes) {
      const rejected = tooLarge(item, index, ctx.maxEventBytes);
      if (rejected) return rejected;
    }
    return enrich(fast.envelope, fast.payload, fast.metadata, index, ctx);
  }
  const rejected = tooLarge(item, index, ctx.maxEventBytes);
  if (rejected) return rejected;
  if (!value || typeof value !== "object" || Array.isArray(value)) {
    return { ok: false, rejection: { index, code: "VALIDATION_ERROR", message: "an event must be a JSON object" } };
  }
  const parsed = EventEnvelope.safeParse(value);
  if (!parsed.success) {
    return { ok: false, rejection: { index, code: "VALIDATION_ERROR", message: describeIssue(parsed.error) } };
  }
  const e = parsed.data;
  return enrich(
    e,
    e.data?.payload === undefined ? null : JSON.stringify(e.data.payload),
    e.data?.metadata === undefined ? null : JSON.stringify(e.data.metadata),
    index,
    ctx,
  );
}

function enrich(
  e: EventEnvelope,
  payload: string | null,
  metadata: string | null,
  index: number,
  ctx: EdgeContext,
): Verdict {
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
      payload,
      metadata,
    },
  };
}
