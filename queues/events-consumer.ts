// The lake writer: claim ids, write Parquet to R2, commit the manifest, then ack. Exactly once.
import { inArray } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { encryptedFieldsFor, typedColumnsFor } from "../services/contracts/registry";
import { compactSoon } from "../services/jobs/compact-soon";
import { forwardLineage } from "../services/lineage/record";
import { publishPartials } from "../services/live/publish-partials";
import { publish } from "../services/manifest/publish";
import { sealEvents } from "../services/privacy/seal-events";
import { shardStub } from "../services/stubs/dedupe-shard";
import { getOrInsert } from "../shared/collections";
import { readConfig } from "../shared/config";
import { manifestColumns } from "../shared/contracts/typed-columns";
import { projects } from "../shared/db/schema";
import { CLAIM_LEASE_MS, dedupeKey } from "../shared/dedupe";
import type { QueuedEvent } from "../shared/events/queue-message";
import { FILE_COLUMNS } from "../shared/lake/lake-row";
import { claimEvents } from "./claim-events";
import { type DecodedMessage, decodeMessage } from "./decode-messages";
import { writeFiles } from "./write-files";

/** Test seams for crash injection; production passes none. */
export interface ConsumerHooks {
  /** Runs after the files are in R2 and before the manifest commit. */
  afterWrite?: () => void | Promise<void>;
}

const HOUR_MS = 3_600_000;

/** Exponential backoff for retried messages: 2 s, 4 s, 8 s … capped at 5 minutes. */
export function backoffSeconds(attempts: number): number {
  return Math.min(300, 2 ** Math.max(1, attempts));
}

/** Per project, its dedupe window (ms) as this isolate last read it, and until when to trust that. */
const windowCache = new Map<string, { ms: number; until: number }>();
const MAX_CACHED_WINDOWS = 10_000;

/**
 * Each project's dedupe window (ms). A change of `projects.dedupe_window_hours` applies within
 * CONTRACT_CACHE_TTL_MS (the same bound as a contract change), so a busy consumer reads D1 for it
 * about once a second instead of once per batch.
 */
async function dedupeWindows(env: Env, ids: string[]): Promise<Map<string, number>> {
  const { dedupeWindowHours: fallback, contractCacheTtlMs } = readConfig(env);
  const now = Date.now();
  const windows = new Map<string, number>();
  const stale: string[] = [];
  for (const id of ids) {
    const hit = windowCache.get(id);
    if (hit && hit.until > now) windows.set(id, hit.ms);
    else stale.push(id);
  }
  if (stale.length === 0) return windows;
  const rows = await drizzle(env.DB)
    .select({ id: projects.id, hours: projects.dedupeWindowHours })
    .from(projects)
    .where(inArray(projects.id, stale))
    .all();
  for (const id of stale) windows.set(id, fallback * HOUR_MS);
  for (const r of rows) if (r.hours !== null) windows.set(r.id, r.hours * HOUR_MS);
  if (windowCache.size >= MAX_CACHED_WINDOWS) windowCache.clear();
  for (const id of stale) windowCache.set(id, { ms: windows.get(id) as number, until: now + contractCacheTtlMs });
  return windows;
}

export async function consumeEvents(batch: MessageBatch<unknown>, env: Env, hooks: ConsumerHooks = {}): Promise<void> {
  const started = Date.now();
  const commitId = crypto.randomUUID();
  const config = readConfig(env);

  const decoded: DecodedMessage[] = [];
  for (const result of await Promise.all(batch.messages.map((m) => decodeMessage(env.LAKE, m)))) {
    if (result.ok) decoded.push(result.decoded);
    else {
      // Retried until max_retries, then the dead-letter queue keeps it for an admin.
      console.error(
        JSON.stringify({ level: "error", msg: "bad events message", id: result.message.id, reason: result.reason }),
      );
      result.message.retry({ delaySeconds: backoffSeconds(result.message.attempts) });
    }
  }
  if (decoded.length === 0) return;

  // Within the batch the first copy of an id wins.
  const windows = await dedupeWindows(env, [...new Set(decoded.map((d) => d.project))]);
  const firstCopy = new Map<string, { project: string; event: QueuedEvent }>();
  for (const d of decoded) {
    for (const event of d.events) {
      const key = dedupeKey(d.project, event.event_id);
      if (!firstCopy.has(key)) firstCopy.set(key, { project: d.project, event });
    }
  }
  const candidates = [...firstCopy].map(([key, { project }]) => ({
    key,
    expiresAt: started + (windows.get(project) ?? 24 * HOUR_MS),
  }));

  const claims = await claimEvents(env, commitId, candidates, config.dedupeShards);
  try {
    const byProject = new Map<string, QueuedEvent[]>();
    for (const key of claims.fresh) {
      const entry = firstCopy.get(key);
      if (!entry) continue;
      getOrInsert(byProject, entry.project, () => []).push(entry.event);
    }
    const files = (
      await Promise.all(
        [...byProject].map(async ([project, events]) => {
          // Payload properties the contract in force declares become typed columns of the file.
          const typed = await typedColumnsFor(
            env.DB,
            project,
            new Set(events.map((e) => e.event_type)),
            config.contractCacheTtlMs,
          );
          // Fields marked x-encrypt are sealed under their subject's data key before they become Parquet.
          const types = new Set(events.map((e) => e.event_type));
          const encrypted = await encryptedFieldsFor(env.DB, project, types, config.contractCacheTtlMs);
          const sealed = await sealEvents(env, project, events, encrypted);
          return writeFiles(env.LAKE, commitId, project, sealed, started, (dataset) => typed.get(dataset) ?? []);
        }),
      )
    ).flat();
    await hooks.afterWrite?.();
    if (files.length > 0) {
      // Fencing: a batch this slow may have lost its claims to a takeover; let the retry decide.
      if (Date.now() - started > CLAIM_LEASE_MS / 2) throw new Error("batch exceeded half the claim lease");
      await publish(env.DB, {
        kind: "append",
        commitId,
        files: files.map((f) => ({
          projectId: f.partition.project,
          key: f.key,
          dataset: f.partition.dataset,
          layer: "bronze",
          dt: f.partition.dt,
          hr: f.partition.hr,
          rows: f.rows,
          bytes: f.bytes,
          minTs: f.minTs,
          maxTs: f.maxTs,
          columns: [...FILE_COLUMNS, ...manifestColumns(f.typed)],
        })),
      });
      // After the commit, three independent steps at once (none may fail the batch):
      await Promise.all([
        // live windows count exactly this batch's freshly committed events;
        publishPartials(env, commitId, byProject).catch(() => undefined),
        // lineage of this commit is in the manifest batch, forwarding it is best effort (the cron sweeps);
        config.lineageUrl ? forwardLineage(env).catch(() => undefined) : undefined,
        // a compaction that cannot be queued now is queued by a later batch or the hourly cron.
        compactSoon(env, [...byProject.keys()]).catch((err) =>
          console.error(JSON.stringify({ level: "error", msg: "compaction not queued", error: String(err) })),
        ),
      ]);
    }
  } catch (err) {
    await Promise.allSettled([...claims.shards].map((s) => shardStub(env, s).release(commitId)));
    for (const d of decoded) d.message.retry({ delaySeconds: backoffSeconds(d.message.attempts) });
    console.error(
      JSON.stringify({ level: "error", msg: "lake write failed; batch retried", commit: commitId, error: String(err) }),
    );
    return;
  }

  // Committed. Telling the shards is an optimisation: a later claim repairs it through D1.
  await Promise.allSettled([...claims.shards].map((s) => shardStub(env, s).commit(commitId)));
  for (const d of decoded) {
    const isBlocked =
      claims.blocked.size > 0 && d.events.some((e) => claims.blocked.has(dedupeKey(d.project, e.event_id)));
    if (isBlocked) d.message.retry({ delaySeconds: Math.ceil(CLAIM_LEASE_MS / 1000 / 4) });
    else d.message.ack();
  }
}
