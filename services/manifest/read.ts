// Reading the manifest: which files make up a project's tables now or at a snapshot, its snapshots,
// and the questions jobs ask of it (what to compact, what changed, which batches committed).
import { and, asc, desc, eq, gt, gte, inArray, isNull, lte, or, type SQL, sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { chunked, getOrInsert } from "../../shared/collections";
import { type ManifestColumn, type TypedColumn, unionTypedColumns } from "../../shared/contracts/typed-columns";
import { ingestCommits, lakeFiles, snapshots } from "../../shared/db/lake";
import { type OwnColumn, unionOwnColumns } from "../../shared/lake/own-columns";
import { EVENT_LAYERS, type Layer, OWN_TABLE_LAYERS } from "../../shared/lake/partition";
import { type BatchedRead, readAlone, statementRead } from "../d1/batched-read";

export type ManifestFile = typeof lakeFiles.$inferSelect;
export type SnapshotRow = typeof snapshots.$inferSelect;

export interface FileFilter {
  dataset?: string;
  /** Only files whose time range meets [minTs, maxTs]. */
  minTs?: number;
  maxTs?: number;
  layer?: Layer;
  /** Only files of these layers (`EVENT_LAYERS` for the events table). */
  layers?: readonly Layer[];
  dt?: string;
  /** The lake as it was right after this snapshot; omitted means now. */
  snapshot?: number;
}

/** Rows of files that belong to the tables at `snapshot` (or now). */
function liveAt(projectId: string, snapshot?: number): SQL {
  const base = eq(lakeFiles.projectId, projectId);
  if (snapshot === undefined) return and(base, isNull(lakeFiles.removedSnapshot)) as SQL;
  return and(
    base,
    lte(lakeFiles.addedSnapshot, snapshot),
    or(isNull(lakeFiles.removedSnapshot), gt(lakeFiles.removedSnapshot, snapshot)),
  ) as SQL;
}

const ownLayer = inArray(lakeFiles.layer, [...OWN_TABLE_LAYERS]);

/** The files of the project's tables (now or at a snapshot), in time order. */
export async function listFiles(db: D1Database, projectId: string, filter: FileFilter = {}): Promise<ManifestFile[]> {
  return drizzle(db)
    .select()
    .from(lakeFiles)
    .where(
      and(
        liveAt(projectId, filter.snapshot),
        filter.dataset !== undefined ? eq(lakeFiles.dataset, filter.dataset) : undefined,
        filter.layer !== undefined ? eq(lakeFiles.layer, filter.layer) : undefined,
        filter.layers !== undefined ? inArray(lakeFiles.layer, [...filter.layers]) : undefined,
        filter.dt !== undefined ? eq(lakeFiles.dt, filter.dt) : undefined,
        // The time range prunes event files only: a table of its own has no event time.
        filter.minTs !== undefined ? or(ownLayer, gte(lakeFiles.maxTs, filter.minTs)) : undefined,
        filter.maxTs !== undefined ? or(ownLayer, lte(lakeFiles.minTs, filter.maxTs)) : undefined,
      ),
    )
    .orderBy(asc(lakeFiles.minTs), asc(lakeFiles.key))
    .all();
}

/** How many files a table (a dataset, or every dataset) has, before any time pruning. */
export async function countFiles(
  db: D1Database,
  projectId: string,
  filter: { dataset?: string; snapshot?: number; layers?: readonly Layer[] } = {},
): Promise<number> {
  const [row] = await drizzle(db)
    .select({ n: sql<number>`count(*)` })
    .from(lakeFiles)
    .where(
      and(
        liveAt(projectId, filter.snapshot),
        filter.dataset === undefined ? undefined : eq(lakeFiles.dataset, filter.dataset),
        filter.layers === undefined ? undefined : inArray(lakeFiles.layer, [...filter.layers]),
      ),
    )
    .all();
  return row?.n ?? 0;
}

/** Dataset names the project has (at the snapshot): the per-event-type tables. */
export async function datasetsOf(db: D1Database, projectId: string, snapshot?: number): Promise<string[]> {
  const rows = await drizzle(db)
    .selectDistinct({ dataset: lakeFiles.dataset })
    .from(lakeFiles)
    .where(liveAt(projectId, snapshot))
    .all();
  return rows.map((r) => r.dataset);
}

/** Per dataset: rows, bytes, files and event-time range of its current files. */
export async function datasetSummaries(db: D1Database, projectId: string) {
  return drizzle(db)
    .select({
      name: lakeFiles.dataset,
      rows: sql<number>`sum(${lakeFiles.rows})`,
      bytes: sql<number>`sum(${lakeFiles.bytes})`,
      files: sql<number>`count(*)`,
      minTs: sql<number>`min(${lakeFiles.minTs})`,
      maxTs: sql<number>`max(${lakeFiles.maxTs})`,
    })
    .from(lakeFiles)
    .where(liveAt(projectId))
    .groupBy(lakeFiles.dataset)
    .orderBy(asc(lakeFiles.dataset))
    .all();
}

/** True when some manifest row (current or past) of the project names this object. */
export async function isProjectFile(db: D1Database, projectId: string, key: string): Promise<boolean> {
  const row = await drizzle(db)
    .select({ key: lakeFiles.key })
    .from(lakeFiles)
    .where(and(eq(lakeFiles.key, key), eq(lakeFiles.projectId, projectId)))
    .get();
  return row !== undefined;
}

/** The project's newest snapshot id, or 0 before any data: a version for caches. */
export async function latestSnapshot(db: D1Database, projectId: string): Promise<number> {
  return readAlone(db, latestSnapshotRead(db, projectId));
}

/** The newest snapshot's id (0 before the first), as a read to batch with others (services/d1/batched-read.ts). */
export function latestSnapshotRead(db: D1Database, projectId: string): BatchedRead<number> {
  const newest = drizzle(db)
    .select({ id: snapshots.id })
    .from(snapshots)
    .where(eq(snapshots.projectId, projectId))
    .orderBy(desc(snapshots.id))
    .limit(1);
  return statementRead(newest, (rows) => rows[0]?.id ?? 0);
}

/** The last snapshot created at or before `time` (ISO-8601), or null if none was. */
export async function snapshotAsOf(db: D1Database, projectId: string, time: string): Promise<number | null> {
  const row = await drizzle(db)
    .select({ id: snapshots.id })
    .from(snapshots)
    .where(and(eq(snapshots.projectId, projectId), lte(snapshots.createdAt, time)))
    .orderBy(desc(snapshots.id))
    .limit(1)
    .get();
  return row?.id ?? null;
}

/** True when the snapshot exists and belongs to the project. */
export async function snapshotExists(db: D1Database, projectId: string, id: number): Promise<boolean> {
  const row = await drizzle(db)
    .select({ id: snapshots.id })
    .from(snapshots)
    .where(and(eq(snapshots.projectId, projectId), eq(snapshots.id, id)))
    .get();
  return row !== undefined;
}

/** The project's newest snapshots first. */
export async function listSnapshots(db: D1Database, projectId: string, limit: number): Promise<SnapshotRow[]> {
  return drizzle(db)
    .select()
    .from(snapshots)
    .where(eq(snapshots.projectId, projectId))
    .orderBy(desc(snapshots.id))
    .limit(limit)
    .all();
}

/** Which of these consumer batches have their commit marker (their files are in the manifest). */
export async function committedBatches(db: D1Database, commitIds: string[]): Promise<Set<string>> {
  const committed = new Set<string>();
  for (let i = 0; i < commitIds.length; i += 90) {
    const rows = await drizzle(db)
      .select({ id: ingestCommits.commitId })
      .from(ingestCommits)
      .where(inArray(ingestCommits.commitId, commitIds.slice(i, i + 90)))
      .all();
    for (const r of rows) committed.add(r.id);
  }
  return committed;
}

/**
 * What compaction can merge, bronze first: a dataset's bronze files of one arrival day, and an event
 * day's silver files smaller than `smallRows` (larger ones are left as they are), where there are
 * at least two.
 */
export async function compactionCandidates(
  db: D1Database,
  projectId: string,
  only: { dataset?: string; day?: string },
  small: { rows: number; bytes: number },
): Promise<{ dataset: string; layer: "bronze" | "silver"; dt: string }[]> {
  const rows = await drizzle(db)
    .select({ dataset: lakeFiles.dataset, layer: lakeFiles.layer, dt: lakeFiles.dt })
    .from(lakeFiles)
    .where(
      and(
        eq(lakeFiles.projectId, projectId),
        isNull(lakeFiles.removedSnapshot),
        or(
          eq(lakeFiles.layer, "bronze"),
          and(
            eq(lakeFiles.layer, "silver"),
            sql`${lakeFiles.rows} < ${small.rows}`,
            sql`${lakeFiles.bytes} < ${small.bytes}`,
          ),
        ),
        only.dataset ? eq(lakeFiles.dataset, only.dataset) : undefined,
        only.day ? eq(lakeFiles.dt, only.day) : undefined,
      ),
    )
    .groupBy(lakeFiles.dataset, lakeFiles.layer, lakeFiles.dt)
    .having(sql`count(*) > 1`)
    .orderBy(asc(lakeFiles.layer), asc(lakeFiles.dt), asc(lakeFiles.dataset))
    .all();
  return rows as { dataset: string; layer: "bronze" | "silver"; dt: string }[];
}

/**
 * Current bronze files per dataset of the project that compaction can merge (those sharing an arrival
 * day with another): how far compaction is behind ingest.
 */
export async function bronzeFileCounts(db: D1Database, projectId: string): Promise<Map<string, number>> {
  const rows = await drizzle(db)
    .select({ dataset: lakeFiles.dataset, n: sql<number>`count(*)` })
    .from(lakeFiles)
    .where(and(eq(lakeFiles.projectId, projectId), isNull(lakeFiles.removedSnapshot), eq(lakeFiles.layer, "bronze")))
    .groupBy(lakeFiles.dataset, lakeFiles.dt)
    .having(sql`count(*) > 1`)
    .all();
  const counts = new Map<string, number>();
  for (const r of rows) counts.set(r.dataset, (counts.get(r.dataset) ?? 0) + r.n);
  return counts;
}

/** Files added or removed after `snapshot`: what makes a rollup built at that snapshot stale. */
export async function filesChangedSince(db: D1Database, projectId: string, snapshot: number): Promise<ManifestFile[]> {
  return drizzle(db)
    .select()
    .from(lakeFiles)
    .where(
      and(
        eq(lakeFiles.projectId, projectId),
        or(gt(lakeFiles.addedSnapshot, snapshot), gt(lakeFiles.removedSnapshot, snapshot)),
      ),
    )
    .all();
}

type Db = ReturnType<typeof drizzle>;

/**
 * Two statements for a caller's own D1 batch, so they are read consistently with its other tables:
 * the files meeting [fromMs, toMs) of the given datasets that are current or were removed after
 * `removedAfter` (a SQL expression), and how many current files `table` has (`events`: all).
 * `onlyIf` (a SQL condition) lists the files only when it holds, so a caller that needs them only
 * sometimes still reads in one batch.
 */
export function coverageStatements(
  d: Db,
  projectId: string,
  range: { fromMs: number | null; toMs: number | null; datasets: string[] | null; table: string },
  removedAfter: SQL,
  onlyIf?: SQL,
) {
  const files = d
    .select({
      dataset: lakeFiles.dataset,
      minTs: lakeFiles.minTs,
      maxTs: lakeFiles.maxTs,
      addedSnapshot: lakeFiles.addedSnapshot,
      removedSnapshot: lakeFiles.removedSnapshot,
    })
    .from(lakeFiles)
    .where(
      and(
        eq(lakeFiles.projectId, projectId),
        or(isNull(lakeFiles.removedSnapshot), sql`${lakeFiles.removedSnapshot} > ${removedAfter}`),
        range.fromMs !== null ? gte(lakeFiles.maxTs, range.fromMs) : undefined,
        range.toMs !== null ? sql`${lakeFiles.minTs} < ${range.toMs}` : undefined,
        range.datasets ? inArray(lakeFiles.dataset, range.datasets) : undefined,
        onlyIf,
      ),
    );
  const tableFiles = d
    .select({ n: sql<number>`count(*)` })
    .from(lakeFiles)
    .where(
      and(
        eq(lakeFiles.projectId, projectId),
        isNull(lakeFiles.removedSnapshot),
        range.table === "events" ? undefined : eq(lakeFiles.dataset, range.table),
      ),
    );
  return [files, tableFiles] as const;
}

/**
 * Each dataset's typed (contract) columns across its files at `snapshot` (or now), for SQL and
 * GET /v1/datasets: the union by name, widened, oldest file first. One small query: files of a
 * dataset share few distinct column lists.
 */
export async function typedColumnsByDataset(
  db: D1Database,
  projectId: string,
  snapshot?: number,
): Promise<Map<string, TypedColumn[]>> {
  const rows = await drizzle(db)
    .select({ dataset: lakeFiles.dataset, columns: lakeFiles.columns, first: sql<number>`min(${lakeFiles.id})` })
    .from(lakeFiles)
    .where(and(liveAt(projectId, snapshot), inArray(lakeFiles.layer, [...EVENT_LAYERS])))
    .groupBy(lakeFiles.dataset, lakeFiles.columns)
    .orderBy(asc(sql`min(${lakeFiles.id})`))
    .all();
  const lists = new Map<string, ManifestColumn[][]>();
  for (const r of rows) getOrInsert(lists, r.dataset, () => []).push(r.columns as ManifestColumn[]);
  return new Map([...lists].map(([dataset, l]) => [dataset, unionTypedColumns(l)]));
}

/** A dataset that is a table of its own (an upload or a view): its layer and whole column list. */
export interface OwnTable {
  layer: Layer;
  columns: OwnColumn[];
}

/**
 * The project's tables of their own at `snapshot` (or now), by dataset: uploads and views, whose
 * files carry every column. Their columns are the union by name over the current files, widened
 * (an appended upload may add columns), in the order they first appeared.
 */
export async function ownTables(db: D1Database, projectId: string, snapshot?: number): Promise<Map<string, OwnTable>> {
  const rows = await drizzle(db)
    .select({
      dataset: lakeFiles.dataset,
      layer: lakeFiles.layer,
      columns: lakeFiles.columns,
      first: sql<number>`min(${lakeFiles.id})`,
    })
    .from(lakeFiles)
    .where(and(liveAt(projectId, snapshot), inArray(lakeFiles.layer, [...OWN_TABLE_LAYERS])))
    .groupBy(lakeFiles.dataset, lakeFiles.layer, lakeFiles.columns)
    .orderBy(asc(sql`min(${lakeFiles.id})`))
    .all();
  const tables = new Map<string, { layer: Layer; lists: OwnColumn[][] }>();
  for (const r of rows) {
    getOrInsert(tables, r.dataset, () => ({ layer: r.layer, lists: [] })).lists.push(r.columns as OwnColumn[]);
  }
  return new Map([...tables].map(([dataset, t]) => [dataset, { layer: t.layer, columns: unionOwnColumns(t.lists) }]));
}

/** When the project last took in events (its newest `append` snapshot, ISO time), or null. */
export async function lastAppendAt(db: D1Database, projectId: string): Promise<string | null> {
  const row = await drizzle(db)
    .select({ at: snapshots.createdAt })
    .from(snapshots)
    .where(and(eq(snapshots.projectId, projectId), eq(snapshots.kind, "append")))
    .orderBy(desc(snapshots.id))
    .limit(1)
    .get();
  return row?.at ?? null;
}

/** When each dataset last gained a file (ISO time): its freshness. */
export async function lastLanded(db: D1Database, projectId: string): Promise<Map<string, string>> {
  const rows = await drizzle(db)
    .select({ dataset: lakeFiles.dataset, at: sql<string>`max(${lakeFiles.createdAt})` })
    .from(lakeFiles)
    .where(liveAt(projectId))
    .groupBy(lakeFiles.dataset)
    .all();
  return new Map(rows.map((r) => [r.dataset, r.at]));
}

/** Datasets of manifest rows, for a replacement's lineage inputs. */
export async function datasetsOfFiles(db: D1Database, ids: number[]): Promise<string[]> {
  const out = new Set<string>();
  for (const part of chunked(ids, 80)) {
    const rows = await drizzle(db)
      .selectDistinct({ dataset: lakeFiles.dataset })
      .from(lakeFiles)
      .where(inArray(lakeFiles.id, part))
      .all();
    for (const r of rows) out.add(r.dataset);
  }
  return [...out].sort();
}

/**
 * Every manifest row of the project whose object still exists: the current tables and the files older
 * snapshots can still read (removed but not yet garbage-collected). Privacy erasure looks at all of them.
 */
export async function filesNotCollected(db: D1Database, projectId: string): Promise<ManifestFile[]> {
  return drizzle(db)
    .select()
    .from(lakeFiles)
    .where(and(eq(lakeFiles.projectId, projectId), isNull(lakeFiles.deletedAt)))
    .orderBy(asc(lakeFiles.id))
    .all();
}

/** The dataset of a project's lake object, or null when the manifest does not know the key. */
export async function datasetOfKey(db: D1Database, projectId: string, key: string): Promise<string | null> {
  const row = await drizzle(db)
    .select({ dataset: lakeFiles.dataset })
    .from(lakeFiles)
    .where(and(eq(lakeFiles.projectId, projectId), eq(lakeFiles.key, key)))
    .get();
  return row?.dataset ?? null;
}

/** Snapshots by id (kind, writer's commit id, time), for jobs that need to know what added a file. */
export async function snapshotsById(db: D1Database, ids: number[]): Promise<Map<number, SnapshotRow>> {
  const out = new Map<number, SnapshotRow>();
  for (const part of chunked([...new Set(ids)], 80)) {
    const rows = await drizzle(db).select().from(snapshots).where(inArray(snapshots.id, part)).all();
    for (const r of rows) out.set(r.id, r);
  }
  return out;
}
