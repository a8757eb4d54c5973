// The manifest's one writer: every change of the lake (ingest append, compaction, retention,
// rollback, and later uploads and erasure rewrites) is published here as one atomic D1 batch.
import { inArray, sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { chunked } from "../../shared/collections";
import { ingestCommits, lakeFiles, publishGuards, snapshots } from "../../shared/db/lake";
import { TarnError } from "../../shared/errors";
import type { Layer } from "../../shared/lake/partition";
import type { LineageRun } from "../../shared/lineage/run-event";
import { finishedRunStatements, ingestLineageStatements } from "../lineage/record";
import { datasetsOfFiles } from "./read";

/** D1 binds at most 100 parameters per statement; stay well under. */
const IDS_PER_STATEMENT = 80;

export interface NewFile {
  key: string;
  dataset: string;
  layer: Layer;
  dt: string;
  hr: number | null;
  rows: number;
  bytes: number;
  minTs: number;
  maxTs: number;
  columns: { name: string; type: string }[];
}

/** A consumer batch's files, possibly of several projects, committed with the batch's marker. */
export interface AppendChange {
  kind: "append";
  /** The consumer batch id: its commit marker is what dedupe claims are resolved against. */
  commitId: string;
  files: (NewFile & { projectId: string })[];
}

/** A change of one project's tables: some current files leave, others join, as one snapshot. */
export interface ReplaceChange {
  kind: "compact" | "retention" | "rollback" | "erase" | "upload" | "view" | "audit";
  projectId: string;
  commitId: string;
  /** Manifest row ids that leave the tables; each must still be current. */
  remove: number[];
  add: NewFile[];
}

export type Change = AppendChange | ReplaceChange;

type Db = ReturnType<typeof drizzle>;
type Statement = Parameters<Db["batch"]>[0][number];

const snapshotIdOf = (commitId: string, projectId: string) =>
  sql`(SELECT id FROM snapshots WHERE commit_id = ${commitId} AND project_id = ${projectId})`;

const insertFile = (d: Db, projectId: string, commitId: string, f: NewFile) =>
  d.insert(lakeFiles).values({ ...f, projectId, addedSnapshot: snapshotIdOf(commitId, projectId) });

/**
 * Appends: the commit marker, a snapshot per project and a row per file, atomically. The marker's
 * primary key makes a second commit of the same batch fail whole, so files are never listed twice.
 */
function appendStatements(d: Db, change: AppendChange): Statement[] {
  const projects = [...new Set(change.files.map((f) => f.projectId))];
  return [
    d.insert(ingestCommits).values({ commitId: change.commitId, events: change.files.reduce((n, f) => n + f.rows, 0) }),
    ...projects.map((projectId) => {
      const mine = change.files.filter((f) => f.projectId === projectId);
      return d.insert(snapshots).values({
        projectId,
        kind: "append",
        commitId: change.commitId,
        filesAdded: mine.length,
        rowsAdded: mine.reduce((n, f) => n + f.rows, 0),
      });
    }),
    ...change.files.map(({ projectId, ...f }) => insertFile(d, projectId, change.commitId, f)),
    // Lineage is written with the change it describes, so it never tells of a commit that did not land.
    ...ingestLineageStatements(d, change.files, new Date()),
  ];
}

const LINEAGE_JOB: Record<ReplaceChange["kind"], string> = {
  compact: "compaction",
  retention: "retention",
  rollback: "rollback",
  erase: "erasure",
  upload: "upload",
  view: "view_refresh",
  audit: "audit_export",
};

/** The replacement's lineage run: the datasets whose files left (inputs) and those that gained or lost files. */
async function replaceLineage(d: Db, db: D1Database, change: ReplaceChange): Promise<Statement[]> {
  const inputs = await datasetsOfFiles(db, change.remove);
  const outputs = new Map<string, { name: string; rows: number; files: number; bytes: number }>();
  for (const name of inputs) outputs.set(name, { name, rows: 0, files: 0, bytes: 0 });
  for (const f of change.add) {
    const o = outputs.get(f.dataset) ?? { name: f.dataset, rows: 0, files: 0, bytes: 0 };
    o.rows += f.rows;
    o.files += 1;
    o.bytes += f.bytes;
    outputs.set(f.dataset, o);
  }
  const run: LineageRun = {
    projectId: change.projectId,
    runId: crypto.randomUUID(),
    job: LINEAGE_JOB[change.kind],
    processing: "BATCH",
    inputs,
    outputs: [...outputs.values()],
  };
  const now = new Date();
  return finishedRunStatements(d, run, now, now);
}

/**
 * Replacements: a guard per chunk of removed ids (its CHECK fails, and D1 rolls the whole batch
 * back, if another writer removed any of them first), the snapshot, the removals, the additions.
 */
function replaceStatements(d: Db, change: ReplaceChange): Statement[] {
  const snapshotId = snapshotIdOf(change.commitId, change.projectId);
  const guards = chunked(change.remove, IDS_PER_STATEMENT).map((ids) =>
    d.insert(publishGuards).values({
      ok: sql`(SELECT count(*) FROM lake_files WHERE id IN (${sql.join(
        ids.map((id) => sql`${id}`),
        sql`, `,
      )}) AND removed_snapshot IS NULL) = ${ids.length}`,
    }),
  );
  const removals = chunked(change.remove, IDS_PER_STATEMENT).map((ids) =>
    d.update(lakeFiles).set({ removedSnapshot: snapshotId }).where(inArray(lakeFiles.id, ids)),
  );
  return [
    ...guards,
    d.insert(snapshots).values({
      projectId: change.projectId,
      kind: change.kind,
      commitId: change.commitId,
      filesAdded: change.add.length,
      filesRemoved: change.remove.length,
      rowsAdded: change.add.reduce((n, f) => n + f.rows, 0),
    }),
    ...removals,
    ...change.add.map((f) => insertFile(d, change.projectId, change.commitId, f)),
  ];
}

async function snapshotOf(d: Db, commitId: string, projectId: string): Promise<number | null> {
  const row = await d
    .select({ id: snapshots.id })
    .from(snapshots)
    .where(sql`${snapshots.commitId} = ${commitId} AND ${snapshots.projectId} = ${projectId}`)
    .get();
  return row?.id ?? null;
}

/**
 * Publishes a change in one D1 batch. For a replacement it returns the new snapshot id, and a
 * retried publish with the same commit id returns the first one's; a replacement that lost a race
 * for its files is a CONFLICT and changes nothing. An append returns 0 (it may span projects).
 */
export async function publish(db: D1Database, change: Change): Promise<number> {
  const d = drizzle(db);
  if (change.kind === "append") {
    await d.batch(appendStatements(d, change) as [Statement, ...Statement[]]);
    return 0;
  }
  const existing = await snapshotOf(d, change.commitId, change.projectId);
  if (existing !== null) return existing;
  try {
    const lineage = await replaceLineage(d, db, change);
    await d.batch([...replaceStatements(d, change), ...lineage] as [Statement, ...Statement[]]);
  } catch (err) {
    if (String(err).includes("publish_guards_ok")) {
      throw new TarnError("CONFLICT", "the files changed while this job ran; it will be retried on the new state", {
        cause: err,
      });
    }
    throw err;
  }
  const id = await snapshotOf(d, change.commitId, change.projectId);
  if (id === null) throw new Error("published snapshot not found");
  return id;
}
