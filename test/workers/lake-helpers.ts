// Helpers for lake tests: queue messages as the edge sends them, and reading back what landed.
import { createExecutionContext, createMessageBatch, env, getQueueResult } from "cloudflare:test";
import { parquetReadObjects } from "hyparquet";
import { type ConsumerHooks, consumeEvents } from "../../queues/events-consumer";
import type { QueuedEvent } from "../../shared/events/queue-message";
import { lakeCompressors } from "../../shared/parquet/codecs";

let seq = 0;

/** A queued event as the edge would enqueue it. */
export function queued(project: string, id: string, extra: Partial<QueuedEvent> = {}): QueuedEvent {
  const ts = extra.ts ?? Date.UTC(2026, 10, 20, 10, 30);
  return {
    event_id: id,
    event_type: "page.view",
    ts,
    received_at: ts + 5,
    user_id: `user-${id}`,
    session_id: null,
    correlation_id: null,
    source: "test",
    version: null,
    environment: "prod",
    region: null,
    request_id: `req-${project}`,
    country: null,
    colo: null,
    payload: JSON.stringify({ id }),
    metadata: null,
    ...extra,
  };
}

export function message(project: string, events: QueuedEvent[], id = `msg-${seq++}`, attempts = 1) {
  return { id, timestamp: new Date(), attempts, body: { v: 1, project, request_id: `req-${id}`, events } };
}

/** Delivers messages to the lake writer once, as the queue would, and returns what it acked and retried. */
export async function deliver(messages: ReturnType<typeof message>[], hooks: ConsumerHooks = {}) {
  const batch = createMessageBatch("tarn-events", messages);
  const ctx = createExecutionContext();
  await consumeEvents(batch, env, hooks);
  return getQueueResult(batch, ctx);
}

/** Every row of every current manifest file of the project, read back with hyparquet. */
export async function landedRows(project: string): Promise<Record<string, unknown>[]> {
  const files = await env.DB.prepare(
    "SELECT key FROM lake_files WHERE project_id = ? AND removed_snapshot IS NULL ORDER BY key",
  )
    .bind(project)
    .all<{ key: string }>();
  const rows: Record<string, unknown>[] = [];
  for (const { key } of files.results) {
    const obj = await env.LAKE.get(key);
    if (!obj) throw new Error(`manifest names a missing object ${key}`);
    rows.push(
      ...((await parquetReadObjects({ file: await obj.arrayBuffer(), compressors: lakeCompressors })) as Record<
        string,
        unknown
      >[]),
    );
  }
  return rows;
}

/**
 * Lands 240 events over 4 hours × 3 types in 4 batches: 12 lake files (more than a 2-file split
 * holds), 23 users and some NULL users. The scale-out tests' table.
 */
export async function landManyFiles(project: string): Promise<void> {
  const start = Date.UTC(2026, 10, 21, 0);
  const hour = 3_600_000;
  const types = ["page.view", "click", "order.created"];
  const events = Array.from({ length: 240 }, (_, i) =>
    queued(project, `e${String(i).padStart(3, "0")}`, {
      event_type: types[i % 3] as string,
      ts: start + (i % 4) * hour + ((i * 7919) % 3600) * 1000,
      user_id: i % 7 === 0 ? null : `u${i % 23}`,
    }),
  );
  for (let h = 0; h < 4; h++)
    await deliver([
      message(
        project,
        events.filter((e) => Math.floor((e.ts - start) / hour) === h),
      ),
    ]);
}
