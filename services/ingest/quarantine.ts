// The quarantine: every rejected event kept whole in R2 (one NDJSON object per request), indexed in
// D1 by entry id for replay, and listed by cursor with each entry's replay outcome.
import { and, eq, inArray, lt } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { z } from "zod";
import { chunked } from "../../shared/collections";
import { quarantineEntries } from "../../shared/db/contracts";
import type { EventRejection } from "../../shared/events/envelope";

/** Longest raw text kept per rejected event: the event size limit, so any acceptable event is kept whole. */
export const QUARANTINE_RAW_CAP = 32 * 1024;

export const QuarantineRecord = z
  .object({
    /** Entry id, for `POST /v1/quarantine/replay`. */
    id: z.string(),
    index: z.number().int(),
    code: z.string(),
    reason: z.string(),
    details: z.record(z.string(), z.unknown()).optional(),
    event_type: z.string().nullable().optional(),
    /** The event's id (its own, or the one assigned at the edge), kept on replay. */
    event_id: z.string().optional(),
    contract_version: z.number().int().nullable().optional(),
    raw: z.string(),
    raw_truncated: z.boolean(),
    request_id: z.string(),
    received_at: z.string(),
    replayed_at: z.string().nullable().optional(),
    replay_outcome: z.enum(["accepted", "rejected"]).nullable().optional(),
    replay_error: z.string().nullable().optional(),
  })
  .meta({ id: "QuarantinedEvent" });
export type QuarantineRecord = z.infer<typeof QuarantineRecord>;

/** One rejected event as the edge hands it over. */
export interface Rejected {
  rejection: EventRejection;
  raw: string;
  eventType: string | null;
  eventId: string;
}

const prefix = (project: string) => `quarantine/${project}/`;
/** D1 rows of 13 values: 7 rows per statement stays under the 100-parameter limit. */
const ROWS_PER_INSERT = 7;

/**
 * Writes one request's rejected events as one NDJSON object and indexes each in D1; returns the
 * object key and entry ids. Removing both again is `unquarantine` (when the queue then refuses).
 */
export async function quarantine(
  env: Pick<Env, "LAKE" | "DB">,
  project: string,
  requestId: string,
  receivedAt: number,
  rejections: Rejected[],
): Promise<{ key: string; ids: string[] }> {
  const receivedIso = new Date(receivedAt).toISOString();
  const key = `${prefix(project)}${receivedIso.slice(0, 10)}/${receivedIso}_${crypto.randomUUID()}.ndjson`;
  const records = rejections.map(
    ({ rejection, raw, eventType, eventId }): QuarantineRecord => ({
      id: `q_${crypto.randomUUID()}`,
      index: rejection.index,
      code: rejection.code,
      reason: rejection.message,
      ...(rejection.details ? { details: rejection.details } : {}),
      event_type: eventType,
      event_id: eventId,
      contract_version: rejection.details?.contract_version ?? null,
      raw: raw.slice(0, QUARANTINE_RAW_CAP),
      raw_truncated: raw.length > QUARANTINE_RAW_CAP,
      request_id: requestId,
      received_at: receivedIso,
    }),
  );
  await env.LAKE.put(key, `${records.map((r) => JSON.stringify(r)).join("\n")}\n`, {
    httpMetadata: { contentType: "application/x-ndjson" },
    customMetadata: { request_id: requestId, events: String(records.length) },
  });
  const d = drizzle(env.DB);
  const rows = records.map((r, line) => ({
    id: r.id,
    projectId: project,
    eventType: r.event_type ?? null,
    eventId: r.event_id as string,
    objectKey: key,
    line,
    code: r.code,
    reason: r.reason.slice(0, 500),
    contractVersion: r.contract_version ?? null,
    requestId,
    receivedAt: receivedIso,
  }));
  const statements = chunked(rows, ROWS_PER_INSERT).map((chunk) => d.insert(quarantineEntries).values(chunk));
  try {
    for (const part of chunked(statements, 50)) await d.batch(part as [(typeof statements)[number]]);
  } catch (err) {
    await unquarantine(env, { key, ids: records.map((r) => r.id) });
    throw err;
  }
  return { key, ids: records.map((r) => r.id) };
}

/** Takes a request's quarantine back (the request failed whole, so a retry is not quarantined twice). */
export async function unquarantine(env: Pick<Env, "LAKE" | "DB">, q: { key: string; ids: string[] }): Promise<void> {
  await env.LAKE.delete(q.key).catch(() => {});
  const d = drizzle(env.DB);
  for (const ids of chunked(q.ids, 80))
    await d
      .delete(quarantineEntries)
      .where(inArray(quarantineEntries.id, ids))
      .run()
      .catch(() => {});
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

/** The NDJSON lines of one quarantine object (empty once retention removed it). */
export async function readLines(lake: R2Bucket, key: string): Promise<string[]> {
  const obj = await lake.get(key);
  return obj ? (await obj.text()).split("\n").filter((l) => l !== "") : [];
}

/** Records written before entries had ids get a stable one from their place. */
function withId(raw: Record<string, unknown>, key: string, line: number): Record<string, unknown> {
  return typeof raw.id === "string" ? raw : { ...raw, id: `q_${key.slice(key.lastIndexOf("/") + 1)}_${line}` };
}

/**
 * A page of the project's quarantined events, oldest first, each with its replay outcome. The
 * cursor names the object and how many of its events were already returned, so pages never repeat
 * or skip an event.
 */
export async function listQuarantine(
  env: Pick<Env, "LAKE" | "DB">,
  project: string,
  limit: number,
  cursor: string | undefined,
): Promise<{ events: QuarantineRecord[]; next_cursor: string | null } | null> {
  const from = cursor ? decodeCursor(cursor, project) : null;
  if (cursor && !from) return null;
  const events: QuarantineRecord[] = [];
  let skip = from?.skip ?? 0;
  let next: string | null = null;
  outer: for await (const key of keysFrom(env.LAKE, project, from?.key)) {
    const lines = await readLines(env.LAKE, key);
    for (let i = skip; i < lines.length; i++) {
      if (events.length === limit) {
        next = encodeCursor(key, i);
        break outer;
      }
      events.push(QuarantineRecord.parse(withId(JSON.parse(lines[i] as string), key, i)));
    }
    skip = 0;
  }
  const outcomes = new Map<string, typeof quarantineEntries.$inferSelect>();
  for (const ids of chunked(
    events.map((e) => e.id),
    80,
  )) {
    const rows = await drizzle(env.DB).select().from(quarantineEntries).where(inArray(quarantineEntries.id, ids)).all();
    for (const r of rows) outcomes.set(r.id, r);
  }
  for (const e of events) {
    const o = outcomes.get(e.id);
    e.replayed_at = o?.replayedAt ?? null;
    e.replay_outcome = (o?.replayOutcome as QuarantineRecord["replay_outcome"]) ?? null;
    e.replay_error = o?.replayError ?? null;
  }
  return { events, next_cursor: next };
}

/** Drops the index rows of quarantined events received before `cutoffIso` (retention removed their objects). */
export async function forgetQuarantineBefore(db: D1Database, project: string, cutoffIso: string): Promise<void> {
  await drizzle(db)
    .delete(quarantineEntries)
    .where(and(eq(quarantineEntries.projectId, project), lt(quarantineEntries.receivedAt, cutoffIso)))
    .run();
}

/** Whether a quarantined event's raw text is an event of this user (`userId`, or Segment's `userId`). */
function rawOfSubject(raw: string, subject: string): boolean {
  try {
    const o = JSON.parse(raw) as Record<string, unknown> | null;
    if (o && typeof o === "object") return o.userId === subject || o.user_id === subject;
  } catch {
    // A truncated or malformed event: match its text, so a subject is never left behind by a parse error.
  }
  return raw.includes(JSON.stringify(subject).slice(0, -1));
}

/**
 * Privacy erasure: every quarantined event of `subject` loses its raw text (the record stays as a
 * placeholder naming the erasure, so other entries keep their line numbers) and its index row (it can
 * no longer be replayed). Returns how many events were purged.
 */
export async function purgeSubject(
  env: Pick<Env, "LAKE" | "DB">,
  project: string,
  subject: string,
  erasureId: string,
): Promise<number> {
  let purged = 0;
  for await (const key of keysAfter(env.LAKE, project)) {
    const lines = await readLines(env.LAKE, key);
    const gone: string[] = [];
    const kept = lines.map((line, i) => {
      const record = withId(JSON.parse(line) as Record<string, unknown>, key, i);
      if (typeof record.raw !== "string" || !rawOfSubject(record.raw, subject)) return line;
      gone.push(record.id as string);
      return JSON.stringify({
        ...record,
        raw: "",
        raw_truncated: false,
        reason: `erased by privacy erasure ${erasureId}`,
      });
    });
    if (gone.length === 0) continue;
    await env.LAKE.put(key, `${kept.join("\n")}\n`, { httpMetadata: { contentType: "application/x-ndjson" } });
    for (const ids of chunked(gone, 80))
      await drizzle(env.DB).delete(quarantineEntries).where(inArray(quarantineEntries.id, ids)).run();
    purged += gone.length;
  }
  return purged;
}
