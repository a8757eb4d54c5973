// Segment's HTTP Tracking API messages → Tarn event envelopes (API.md, "Segment-compatible ingest").

/** The message types of Segment's spec; `/v1/{type}` takes one, `/v1/batch` a list of them. */
export const SEGMENT_TYPES = ["track", "identify", "page", "screen", "group", "alias"] as const;
export type SegmentType = (typeof SEGMENT_TYPES)[number];

type Json = Record<string, unknown>;

function isRecord(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Segment ids may be numbers; Tarn keeps them as text. */
function idText(v: unknown): string | undefined {
  if (typeof v === "string" && v.length > 0) return v;
  if (typeof v === "number" && Number.isFinite(v)) return String(v);
  return undefined;
}

/** A Segment timestamp (ISO-8601, or a Date serialized by the SDK) as Tarn's ISO form, or an error. */
function isoTime(v: unknown, field: string): { iso?: string; error?: string } {
  if (v === undefined || v === null) return {};
  const ms = typeof v === "string" ? Date.parse(v) : typeof v === "number" ? v : Number.NaN;
  if (!Number.isFinite(ms)) return { error: `${field} must be an ISO-8601 date-time` };
  return { iso: new Date(ms).toISOString() };
}

/** What the batch (or the request) says once for all its messages. */
export interface BatchDefaults {
  context?: Json;
  integrations?: Json;
}

export type MappedMessage = { ok: true; envelope: Json } | { ok: false; message: string };

/**
 * One Segment message as a Tarn envelope, for the ingest path's verdict (which checks it like any
 * other event). `type` is the route's word for single calls; a batch message carries its own.
 * Mapping: `messageId` → `eventId`; `track` → the `event` name as sent, other types → that word;
 * `userId` (else `anonymousId`) → `userId`; `properties`/`traits` → `data.payload`; `context`,
 * `integrations`, `anonymousId` and the type's own fields (`name`, `category`, `groupId`,
 * `previousId`, `sentAt`, `originalTimestamp`, `channel`) → `data.metadata`. The batch's context
 * and integrations are merged under the message's own (the message wins key by key).
 */
export function mapSegmentMessage(raw: unknown, type: SegmentType | null, defaults: BatchDefaults): MappedMessage {
  if (!isRecord(raw)) return { ok: false, message: "a Segment message must be a JSON object" };
  const kind = type ?? raw.type;
  if (typeof kind !== "string" || !(SEGMENT_TYPES as readonly string[]).includes(kind)) {
    return { ok: false, message: `type must be one of ${SEGMENT_TYPES.join(", ")}` };
  }
  let eventType: string = kind;
  if (kind === "track") {
    if (typeof raw.event !== "string" || raw.event.length === 0) {
      return { ok: false, message: "event is required for a track call" };
    }
    eventType = raw.event;
  }
  const userId = idText(raw.userId);
  const anonymousId = idText(raw.anonymousId);
  if (userId === undefined && anonymousId === undefined) {
    return { ok: false, message: "userId or anonymousId is required" };
  }
  if (kind === "group" && idText(raw.groupId) === undefined) return { ok: false, message: "groupId is required" };
  if (kind === "alias" && idText(raw.previousId) === undefined) {
    return { ok: false, message: "previousId is required" };
  }

  // Segment's own rule: `timestamp` when sent, else `originalTimestamp`; receive time otherwise.
  const ts = isoTime(
    raw.timestamp ?? raw.originalTimestamp,
    raw.timestamp !== undefined ? "timestamp" : "originalTimestamp",
  );
  if (ts.error) return { ok: false, message: ts.error };

  const payloadSource = kind === "identify" || kind === "group" ? raw.traits : raw.properties;
  if (payloadSource !== undefined && payloadSource !== null && !isRecord(payloadSource)) {
    return {
      ok: false,
      message: `${kind === "identify" || kind === "group" ? "traits" : "properties"} must be an object`,
    };
  }
  if (raw.context !== undefined && raw.context !== null && !isRecord(raw.context)) {
    return { ok: false, message: "context must be an object" };
  }
  if (raw.integrations !== undefined && raw.integrations !== null && !isRecord(raw.integrations)) {
    return { ok: false, message: "integrations must be an object" };
  }

  const context = merged(defaults.context, raw.context as Json | undefined);
  const integrations = merged(defaults.integrations, raw.integrations as Json | undefined);
  const metadata: Json = {};
  if (context) metadata.context = context;
  if (integrations) metadata.integrations = integrations;
  if (anonymousId !== undefined) metadata.anonymousId = anonymousId;
  for (const key of ["name", "category", "groupId", "previousId", "sentAt", "originalTimestamp", "channel"]) {
    const v = raw[key];
    if (v !== undefined && v !== null) metadata[key] = v;
  }

  const envelope: Json = { eventType, userId: userId ?? anonymousId, eventSource: sourceOf(context) };
  const messageId = idText(raw.messageId);
  if (messageId !== undefined) envelope.eventId = messageId;
  if (ts.iso !== undefined) envelope.timestamp = ts.iso;
  const data: Json = { metadata };
  if (isRecord(payloadSource)) data.payload = payloadSource;
  envelope.data = data;
  return { ok: true, envelope };
}

/** Batch-level values under the message's own, one level deep (Segment merges `context` this way). */
function merged(batch: Json | undefined, own: Json | undefined): Json | undefined {
  if (!batch) return own ?? undefined;
  if (!own) return batch;
  return { ...batch, ...own };
}

/** The sending library (`context.library.name`, e.g. `@segment/analytics-node`), else "segment". */
function sourceOf(context: Json | undefined): string {
  const library = context?.library;
  const name = isRecord(library) ? library.name : undefined;
  return typeof name === "string" && name.length > 0 && name.length <= 256 ? name : "segment";
}
