// Garbage collection of lake objects: files removed from the tables longer ago than the grace
// period, and objects the manifest never took in (a writer died before publishing) or staged bodies.
import { and, eq, inArray, isNull, lt, sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { chunked } from "../../shared/collections";
import { lakeFiles, snapshots } from "../../shared/db/lake";

/** Keys per D1 statement (100 bound parameters at most). */
const KEYS_PER_STATEMENT = 80;

/**
 * Deletes objects whose manifest rows left the tables before `before` (ISO-8601), unless another row
 * (a rollback) still uses the key, and marks the rows deleted so time travel can say so.
 * Returns the number of objects deleted.
 */
export async function collectRemovedFiles(
  env: Pick<Env, "DB" | "LAKE">,
  projectId: string,
  before: string,
): Promise<number> {
  const d = drizzle(env.DB);
  const candidates = await d
    .select({ id: lakeFiles.id, key: lakeFiles.key })
    .from(lakeFiles)
    .innerJoin(snapshots, eq(snapshots.id, lakeFiles.removedSnapshot))
    .where(and(eq(lakeFiles.projectId, projectId), isNull(lakeFiles.deletedAt), lt(snapshots.createdAt, before)))
    .limit(1000)
    .all();
  if (candidates.length === 0) return 0;
  const keys = [...new Set(candidates.map((c) => c.key))];
  const stillUsed = new Set<string>();
  for (const part of chunked(keys, KEYS_PER_STATEMENT)) {
    const rows = await d
      .select({ key: lakeFiles.key })
      .from(lakeFiles)
      .where(and(inArray(lakeFiles.key, part), isNull(lakeFiles.removedSnapshot)))
      .all();
    for (const r of rows) stillUsed.add(r.key);
  }
  const doomed = candidates.filter((c) => !stillUsed.has(c.key));
  for (const part of chunked(doomed, KEYS_PER_STATEMENT)) {
    await env.LAKE.delete([...new Set(part.map((c) => c.key))]);
    await d
      .update(lakeFiles)
      .set({ deletedAt: sql`(strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))` })
      .where(
        inArray(
          lakeFiles.id,
          part.map((c) => c.id),
        ),
      )
      .run();
  }
  return new Set(doomed.map((c) => c.key)).size;
}

/** Of these keys, the ones some manifest row names (now or in the past). */
async function knownKeys(db: D1Database, keys: string[]): Promise<Set<string>> {
  const known = new Set<string>();
  for (const part of chunked(keys, KEYS_PER_STATEMENT)) {
    const rows = await drizzle(db)
      .selectDistinct({ key: lakeFiles.key })
      .from(lakeFiles)
      .where(inArray(lakeFiles.key, part))
      .all();
    for (const r of rows) known.add(r.key);
  }
  return known;
}

export interface OrphanSweep {
  /** Lake objects no manifest row names, older than the grace period. */
  orphans: number;
  /** Staged request bodies older than the grace period. */
  staged: number;
}

/**
 * Lists the project's `lake/` and `staging/` prefixes and deletes what was uploaded before `before`
 * and is not in the manifest: objects of a consumer or compaction that died before publishing, and
 * staged bodies whose messages have long been consumed. Younger objects may still be published.
 */
export async function sweepOrphans(
  env: Pick<Env, "DB" | "LAKE">,
  projectId: string,
  before: Date,
): Promise<OrphanSweep> {
  const result: OrphanSweep = { orphans: 0, staged: 0 };
  for (const [prefix, field] of [
    [`lake/${projectId}/`, "orphans"],
    [`staging/${projectId}/`, "staged"],
  ] as const) {
    let cursor: string | undefined;
    do {
      const page = await env.LAKE.list({ prefix, cursor, limit: 1000 });
      const old = page.objects.filter((o) => o.uploaded < before).map((o) => o.key);
      const known = field === "orphans" && old.length > 0 ? await knownKeys(env.DB, old) : new Set<string>();
      const doomed = old.filter((k) => !known.has(k));
      for (const part of chunked(doomed, 1000)) await env.LAKE.delete(part);
      result[field] += doomed.length;
      cursor = page.truncated ? page.cursor : undefined;
    } while (cursor);
  }
  return result;
}

/**
 * Deletes these objects of the project now (no grace: privacy erasure) and marks every manifest row
 * naming them deleted, so a snapshot that still lists one answers GONE instead of reading it.
 */
export async function deleteObjectsNow(env: Pick<Env, "DB" | "LAKE">, projectId: string, keys: string[]) {
  const d = drizzle(env.DB);
  for (const part of chunked([...new Set(keys)], KEYS_PER_STATEMENT)) {
    await env.LAKE.delete(part);
    await d
      .update(lakeFiles)
      .set({ deletedAt: sql`(strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))` })
      .where(and(eq(lakeFiles.projectId, projectId), inArray(lakeFiles.key, part), isNull(lakeFiles.deletedAt)))
      .run();
  }
}
