// Quarantine replay: entries validated again against today's contracts; accepted ones are queued
// under their original event id, so the lake writer's dedupe lands each exactly once.
import { and, asc, eq, gte, inArray, isNull, lte, ne, or, sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { chunked } from "../../shared/collections";
import { quarantineEntries } from "../../shared/db/contracts";
import type { EdgeContext } from "../../shared/events/accept-event";
import type { PackLimits } from "../../shared/events/pack";
import type { RawItem } from "../../shared/events/read-events";
import { type EdgeOptions, judgeEvents } from "./admit";
import { enqueueEvents } from "./enqueue";
import { readLines } from "./quarantine";

/** Entries one call replays at most; `more` says when others matched. */
export const REPLAY_BATCH = 1000;

export type ReplaySelector = { ids: string[] } | { event_type: string; from?: string; to?: string };

export interface ReplayOutcome {
  replayed: number;
  accepted: number;
  rejected: number;
  already_replayed: number;
  errors: { id: string; code: string; message: string; details?: unknown }[];
  more: boolean;
  /** Per event type, events accepted (for lineage). */
  landedByType: Map<string, number>;
}

type Entry = typeof quarantineEntries.$inferSelect;

async function selectEntries(db: D1Database, projectId: string, selector: ReplaySelector): Promise<Entry[]> {
  const d = drizzle(db);
  if ("ids" in selector) {
    const out: Entry[] = [];
    for (const ids of chunked([...new Set(selector.ids)], 80)) {
      out.push(
        ...(await d
          .select()
          .from(quarantineEntries)
          .where(and(eq(quarantineEntries.projectId, projectId), inArray(quarantineEntries.id, ids)))
          .all()),
      );
    }
    return out.sort((a, b) => a.receivedAt.localeCompare(b.receivedAt) || a.line - b.line);
  }
  const from = selector.from ? new Date(selector.from).toISOString() : undefined;
  const to = selector.to ? new Date(selector.to).toISOString() : undefined;
  return d
    .select()
    .from(quarantineEntries)
    .where(
      and(
        eq(quarantineEntries.projectId, projectId),
        eq(quarantineEntries.eventType, selector.event_type),
        from ? gte(quarantineEntries.receivedAt, from) : undefined,
        to ? lte(quarantineEntries.receivedAt, to) : undefined,
        // Landed entries are skipped in a range replay: it goes on to the ones still waiting.
        or(isNull(quarantineEntries.replayOutcome), ne(quarantineEntries.replayOutcome, "accepted")),
      ),
    )
    .orderBy(asc(quarantineEntries.receivedAt), asc(quarantineEntries.line))
    .limit(REPLAY_BATCH + 1)
    .all();
}

/** The quarantined text of each entry, as a raw item carrying the entry's event id. */
async function rawItems(lake: R2Bucket, entries: Entry[]): Promise<(RawItem | string)[]> {
  const byKey = new Map<string, string[]>();
  await Promise.all(
    [...new Set(entries.map((e) => e.objectKey))].map(async (key) => byKey.set(key, await readLines(lake, key))),
  );
  return entries.map((e) => {
    const line = byKey.get(e.objectKey)?.[e.line];
    if (line === undefined) return "the quarantined event is gone (quarantine retention removed it)";
    const record = JSON.parse(line) as { raw: string; raw_truncated: boolean };
    if (record.raw_truncated) return "the quarantined event was larger than the event limit and was kept truncated";
    let value: unknown;
    try {
      value = JSON.parse(record.raw);
    } catch (err) {
      return { value: undefined, raw: record.raw, parseError: err instanceof Error ? err.message : "invalid JSON" };
    }
    // The id the event had or was given at the edge: every replay of it lands under the same id.
    if (
      value &&
      typeof value === "object" &&
      !Array.isArray(value) &&
      typeof (value as { eventId?: unknown }).eventId !== "string"
    )
      value = { ...(value as object), eventId: e.eventId };
    return { value };
  });
}

/**
 * Replays the selected entries (at most REPLAY_BATCH a call). Entries a replay already landed are
 * counted as `already_replayed` and not sent again; entries sent are marked with their outcome.
 * Exactly once holds even when two replays, or a replay and a producer retry, race: every event
 * goes through the lake writer's dedupe under its original id.
 */
export async function replayQuarantine(
  env: Pick<Env, "DB" | "LAKE" | "EVENTS_QUEUE">,
  projectId: string,
  selector: ReplaySelector,
  edge: EdgeContext,
  options: EdgeOptions & { packLimits: PackLimits },
): Promise<ReplayOutcome> {
  const selected = await selectEntries(env.DB, projectId, selector);
  const more = selected.length > REPLAY_BATCH;
  const entries = selected.slice(0, REPLAY_BATCH);
  const already = entries.filter((e) => e.replayOutcome === "accepted");
  const todo = entries.filter((e) => e.replayOutcome !== "accepted");
  const outcome: ReplayOutcome = {
    replayed: todo.length,
    accepted: 0,
    rejected: 0,
    already_replayed: already.length,
    errors: [],
    more,
    landedByType: new Map(),
  };
  if (todo.length === 0) return outcome;

  const loaded = await rawItems(env.LAKE, todo);
  const items: RawItem[] = [];
  const itemEntry: Entry[] = [];
  const rejectedIds = new Map<string, string>();
  loaded.forEach((item, i) => {
    const entry = todo[i] as Entry;
    if (typeof item === "string") {
      rejectedIds.set(entry.id, item);
      outcome.errors.push({ id: entry.id, code: "GONE", message: item });
    } else {
      items.push(item);
      itemEntry.push(entry);
    }
  });
  const judged = await judgeEvents(env, projectId, items, edge, options);
  for (const r of judged.rejected) {
    const entry = itemEntry[r.rejection.index] as Entry;
    rejectedIds.set(entry.id, r.rejection.message);
    outcome.errors.push({
      id: entry.id,
      code: r.rejection.code,
      message: r.rejection.message,
      details: r.rejection.details,
    });
  }
  if (judged.accepted.length > 0)
    await enqueueEvents(env, projectId, edge.requestId, judged.accepted, options.packLimits);
  for (const e of judged.accepted)
    outcome.landedByType.set(e.event_type, (outcome.landedByType.get(e.event_type) ?? 0) + 1);

  const acceptedIds = itemEntry.filter((e) => !rejectedIds.has(e.id)).map((e) => e.id);
  outcome.accepted = acceptedIds.length;
  outcome.rejected = rejectedIds.size;
  const now = new Date(edge.receivedAt).toISOString();
  const d = drizzle(env.DB);
  const statements = [
    ...chunked(acceptedIds, 80).map((ids) =>
      d
        .update(quarantineEntries)
        .set({ replayedAt: now, replayOutcome: "accepted", replayError: null })
        .where(inArray(quarantineEntries.id, ids)),
    ),
    ...[...rejectedIds].map(([id, error]) =>
      d
        .update(quarantineEntries)
        // An entry another replay landed meanwhile keeps its accepted outcome.
        .set({
          replayedAt: now,
          replayOutcome: sql`CASE WHEN ${quarantineEntries.replayOutcome} = 'accepted' THEN 'accepted' ELSE 'rejected' END`,
          replayError: error.slice(0, 500),
        })
        .where(eq(quarantineEntries.id, id)),
    ),
  ];
  for (const part of chunked(statements, 100)) await d.batch(part as [(typeof statements)[number]]);
  return outcome;
}
