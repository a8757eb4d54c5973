// Profiling a dataset (an upload or an event type): its current files read back row group by row
// group, the profile stored in D1 for GET /v1/datasets/{name}/profile to answer from.
import { and, desc, eq } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { parquetMetadataAsync, parquetReadObjects } from "hyparquet";
import { datasetProfiles, uploads } from "../../shared/db/datasets";
import { TarnError } from "../../shared/errors";
import { LAKE_COLUMNS } from "../../shared/lake/lake-row";
import { lakeCompressors } from "../../shared/parquet/codecs";
import { readUploadConfig, type UploadVars } from "../../shared/uploads/config";
import { type Profile, type ProfileColumnInput, Profiler } from "../../shared/uploads/profile";
import { r2AsyncBuffer } from "../lake-objects/r2-buffer";
import { latestSnapshot, listFiles, ownTables, typedColumnsByDataset } from "../manifest/read";

export type StoredProfile = Profile & { dataset: string; snapshot: number; generated_at: string };

/** The columns of `dataset` as SQL sees them, and whether it is an event type's table. */
async function columnsOf(db: D1Database, projectId: string, dataset: string) {
  const own = (await ownTables(db, projectId)).get(dataset);
  if (own) return { columns: own.columns as ProfileColumnInput[], events: false };
  const typed = (await typedColumnsByDataset(db, projectId)).get(dataset) ?? [];
  return {
    columns: [...LAKE_COLUMNS.map((c) => ({ name: c.name as string, type: c.type as string })), ...typed],
    events: true,
  };
}

/** Columns whose values mixed types in the dataset's latest upload (they became VARCHAR). */
async function latestMismatches(db: D1Database, projectId: string, dataset: string) {
  const row = await drizzle(db)
    .select({ checkpoint: uploads.checkpoint })
    .from(uploads)
    .where(and(eq(uploads.projectId, projectId), eq(uploads.dataset, dataset)))
    .orderBy(desc(uploads.createdAt))
    .get();
  return ((row?.checkpoint as { mixed?: { column: string; kinds: string[] }[] } | null)?.mixed ?? []).slice();
}

/** Profiles the dataset's current files and stores the profile (replacing the previous one). */
export async function profileDataset(
  env: Env,
  projectId: string,
  dataset: string,
  options: { expectationsPassed?: number | null } = {},
): Promise<StoredProfile> {
  const files = await listFiles(env.DB, projectId, { dataset });
  if (files.length === 0) throw new TarnError("NOT_FOUND", `no dataset "${dataset}" in this project`);
  const snapshot = await latestSnapshot(env.DB, projectId);
  const { columns, events } = await columnsOf(env.DB, projectId, dataset);
  const config = readUploadConfig(env as unknown as UploadVars);
  const profiler = new Profiler(columns, {
    exactDistinct: config.profileExactDistinct,
    rows: files.reduce((n, f) => n + f.rows, 0),
    ignoreForDuplicates: events ? ["event_id", "received_at"] : [],
    typeMismatches: events ? [] : await latestMismatches(env.DB, projectId, dataset),
    expectationsPassed: options.expectationsPassed ?? null,
  });
  for (const f of files) {
    const file = r2AsyncBuffer(env.LAKE, f.key, f.bytes);
    const metadata = await parquetMetadataAsync(file);
    const present = new Set(metadata.schema.slice(1).map((e) => e.name));
    const wanted = columns.map((c) => c.name).filter((n) => present.has(n));
    let start = 0;
    for (const group of metadata.row_groups) {
      const end = start + Number(group.num_rows);
      const rows = await parquetReadObjects({
        file,
        metadata,
        columns: wanted,
        rowStart: start,
        rowEnd: end,
        compressors: lakeCompressors,
      });
      profiler.add(rows);
      start = end;
    }
  }
  const profile: StoredProfile = {
    dataset,
    snapshot,
    generated_at: new Date().toISOString(),
    ...profiler.finish(),
  };
  await drizzle(env.DB)
    .insert(datasetProfiles)
    .values({ projectId, dataset, snapshot, profile: profile as unknown as Record<string, unknown> })
    .onConflictDoUpdate({
      target: [datasetProfiles.projectId, datasetProfiles.dataset],
      set: { snapshot, profile: profile as unknown as Record<string, unknown>, generatedAt: profile.generated_at },
    })
    .run();
  return profile;
}

export async function storedProfile(db: D1Database, projectId: string, dataset: string): Promise<StoredProfile | null> {
  const row = await drizzle(db)
    .select({ profile: datasetProfiles.profile })
    .from(datasetProfiles)
    .where(and(eq(datasetProfiles.projectId, projectId), eq(datasetProfiles.dataset, dataset)))
    .get();
  return (row?.profile as unknown as StoredProfile | undefined) ?? null;
}
