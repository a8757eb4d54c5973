// Turns an ingest body (one event, an array, {"events": [...]}, or NDJSON) into raw items.

export interface RawItem {
  /** The parsed value, or undefined when the item's text is not JSON. */
  value: unknown;
  /**
   * The item's text as received (NDJSON line). For JSON bodies it is left out and re-serialized
   * on demand by `rawText`: only rejected or possibly oversized events need it.
   */
  raw?: string;
  parseError?: string;
  /**
   * A verdict the route's own reader already gave (Segment's messages that its spec does not
   * allow): the item is rejected with it, before the envelope is looked at.
   */
  rejection?: { code: "VALIDATION_ERROR"; message: string };
}

/** The item's text: the NDJSON line, or the value re-serialized once and kept. */
export function rawText(item: RawItem): string {
  if (item.raw === undefined) item.raw = JSON.stringify(item.value) ?? "";
  return item.raw;
}

/** How the body held its events: one object, an array, {"events": [...]}, or NDJSON lines. */
export type BodyShape = "single" | "array" | "events" | "ndjson";

export type ReadResult = { ok: true; shape: BodyShape; items: RawItem[] } | { ok: false; message: string };

const NDJSON_TYPES = /^application\/(x-ndjson|ndjson|jsonl|x-jsonlines|jsonlines)\b/i;

export function isNdjson(contentType: string | undefined): boolean {
  return NDJSON_TYPES.test(contentType ?? "");
}

function parseLines(text: string): RawItem[] {
  const items: RawItem[] = [];
  for (const line of text.split("\n")) {
    const raw = line.endsWith("\r") ? line.slice(0, -1) : line;
    if (raw.trim() === "") continue;
    try {
      items.push({ value: JSON.parse(raw), raw });
    } catch (err) {
      items.push({ value: undefined, raw, parseError: err instanceof Error ? err.message : "invalid JSON" });
    }
  }
  return items;
}

function fromValue(value: unknown): RawItem {
  return { value };
}

/**
 * Reads the body's events. A JSON body that does not parse is a whole-request error;
 * in NDJSON each line stands alone, so a broken line only rejects that event.
 */
export function readEvents(text: string, contentType: string | undefined): ReadResult {
  if (isNdjson(contentType)) return { ok: true, shape: "ndjson", items: parseLines(text) };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    return { ok: false, message: `the body is not valid JSON: ${err instanceof Error ? err.message : "parse error"}` };
  }
  if (Array.isArray(parsed)) return { ok: true, shape: "array", items: parsed.map(fromValue) };
  if (
    parsed &&
    typeof parsed === "object" &&
    !("eventType" in parsed) &&
    Array.isArray((parsed as { events?: unknown }).events)
  ) {
    return { ok: true, shape: "events", items: (parsed as { events: unknown[] }).events.map(fromValue) };
  }
  return { ok: true, shape: "single", items: [fromValue(parsed)] };
}
