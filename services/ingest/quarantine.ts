// The quarantine: every rejected event, kept in R2 per project with its reason, and listed by cursor.
import { z } from "zod";
import type { EventRejection } from "../../shared/events/envelope";
import { type RawItem, rawText } from "../../shared/events/read-events";

/** Longest raw text kept per rejected event. */
export const QUARANTINE_RAW_CAP = 8 * 1024;

export const QuarantineRecord = z
  .object({
    index: z.number().int(),
    code: z.string(),
    reason: z.string(),
    raw: z.string(),
    raw_truncated: z.boolean(),
    request_id: z.string(),
    received_at: z.string(),
  })
  .meta({ id: "QuarantinedEvent" });
export type QuarantineRecord = z.infer<typeof QuarantineRecord>;

const prefix = (project: string) => `quarantine/${project}/`;

/** Writes one request's rejected events as one NDJSON object; returns its key. */
export async function quarantine(
  lake: R2Bucket,
  project: string,
  requestId: string,
  receivedAt: number,
  rejections: { rejection: EventRejection; item: RawItem }[],
): Promise<string> {
  const receivedIso = new Date(receivedAt).toISOString();
  const lines = rejections.map(({ rejection, item }) =>
    JSON.stringify({
      index: rejection.index,
      code: rejection.code,
      reason: rejection.message,
      raw: rawText(item).slice(0, QUARANTINE_RAW_CAP),
      raw_truncated: rawText(item).length > QUARANTINE_RAW_CAP,
      request_id: requestId,
      received_at: receivedIso,
    } satisfies QuarantineRecord),
  );
  // Time-first keys list oldest first; the request id keeps concurrent requests apart.
  const key = `${prefix(project)}${receivedIso.slice(0, 10)}/${receivedIso}_${requestId}.ndjson`;
  await lake.put(key, `${lines.join("\n")}\n`, {
    httpMetadata: { contentType: "application/x-ndjson" },
    customMetadata: { request_id: requestId, events: String(lines.length) },
  });
  return key;
}

const Cursor = z.object({ k: z.string(), s: z.number().int().min(0) });

function encodeCursor(key: string, skip: number): string {
  return btoa(JSON.stringify({ k: key, s: skip })).replace(/=+$/, "");
}

function decodeCursor(cursor: string, project: string): { key: string; skip: number } | null {
  try {
    const parsed = Cursor.parse(JSON.parse(atob(cursor)));
    return parsed.k.startsWith(prefix(project)) ? { key: parsed.k, skip: parsed.s } : null;
  } catch {
    return null;
  }
}

async function* keysAfter(lake: R2Bucket, project: string, startAfter?: string): AsyncGenerator<string> {
  let cursor: string | undefined;
  do {
    const page = await lake.list({ prefix: prefix(project), ...(cursor ? { cursor } : { startAfter }), limit: 100 });
    for (const o of page.objects) yield o.key;
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor);
}

async function* keysFrom(lake: R2Bucket, project: string, from: string | undefined): AsyncGenerator<string> {
  if (from) yield from;
  yield* keysAfter(lake, project, from);
}

async function readLines(lake: R2Bucket, key: string): Promise<string[]> {
  const obj = await lake.get(key);
  return obj ? (await obj.text()).split("\n").filter((l) => l !== "") : [];
}

/**
 * A page of the project's quarantined events, oldest first. The cursor names the object and
 * how many of its events were already returned, so pages never repeat or skip an event.
 */
export async function listQuarantine(
  lake: R2Bucket,
  project: string,
  limit: number,
  cursor: string | undefined,
): Promise<{ events: QuarantineRecord[]; next_cursor: string | null } | null> {
  const from = cursor ? decodeCursor(cursor, project) : null;
  if (cursor && !from) return null;
  const events: QuarantineRecord[] = [];
  let skip = from?.skip ?? 0;
  for await (const key of keysFrom(lake, project, from?.key)) {
    const lines = await readLines(lake, key);
    for (let i = skip; i < lines.length; i++) {
      if (events.length === limit) return { events, next_cursor: encodeCursor(key, i) };
      events.push(QuarantineRecord.parse(JSON.parse(lines[i] as string)));
    }
    skip = 0;
  }
  return { events, next_cursor: null };
}
