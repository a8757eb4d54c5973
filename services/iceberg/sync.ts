// Writes each dataset's Iceberg table (manifests, manifest lists, metadata JSON) after its manifest changes.

import { type ManifestRef, manifestRef, writeManifest, writeManifestList } from "../../shared/iceberg/manifest";
import { entriesAt, icebergSnapshotIds } from "../../shared/iceberg/plan";
import { type IcebergSchema, icebergSchema, lakeFieldId } from "../../shared/iceberg/schema";
import {
  type IcebergSnapshot,
  operationOf,
  type TableMetadata,
  tableMetadata,
  tableUuid,
} from "../../shared/iceberg/table-metadata";
import { LAKE_COLUMNS } from "../../shared/lake/lake-row";
import { datasetSegment } from "../../shared/lake/partition";
import { datasetHeads, datasetHistory } from "../manifest/history";
import { latestSnapshot } from "../manifest/read";

type IcebergEnv = Pick<Env, "DB" | "LAKE"> & { ICEBERG_WAREHOUSE?: string };

/** Iceberg snapshots written per sync at most (each is a manifest and a manifest list). */
const MAX_NEW_SNAPSHOTS = 50;
/** Snapshots kept in the metadata (older ones expire, as `expire_snapshots` would). */
const MAX_SNAPSHOTS = 100;
/** Manifests one list may name before the next snapshot writes a full manifest again. */
const MAX_LIST_MANIFESTS = 64;
/** Where a snapshot's summary keeps its manifest's reference, so later lists can reuse it. */
const MANIFEST_SUMMARY_KEY = "tarn.manifest";
const TS_FIELD_ID = lakeFieldId(LAKE_COLUMNS.findIndex((c) => c.name === "ts"));

/** Where the project's tables live in the bucket: `lake/{project}/iceberg/{dataset}`. */
export function tablePrefix(project: string, dataset: string): string {
  return `lake/${project}/iceberg/${datasetSegment(dataset)}`;
}

/** The URL readers use for a bucket key (ICEBERG_WAREHOUSE, default the R2 bucket over S3: `s3://tarn-lake`). */
export function warehouseUrl(env: IcebergEnv, key: string): string {
  return `${(env.ICEBERG_WAREHOUSE || "s3://tarn-lake").replace(/\/+$/, "")}/${key}`;
}

/** The metadata version a table is at (its head Tarn snapshot id), or 0 when it has none yet. */
export async function currentVersion(lake: R2Bucket, project: string, dataset: string): Promise<number> {
  const hint = await lake.get(`${tablePrefix(project, dataset)}/metadata/version-hint.text`);
  const n = hint ? Number.parseInt(await hint.text(), 10) : 0;
  return Number.isFinite(n) ? n : 0;
}

/** The table's current metadata JSON, or null before its first sync. */
export async function readMetadata(lake: R2Bucket, project: string, dataset: string): Promise<TableMetadata | null> {
  const version = await currentVersion(lake, project, dataset);
  if (version === 0) return null;
  const obj = await lake.get(`${tablePrefix(project, dataset)}/metadata/v${version}.metadata.json`);
  return obj ? ((await obj.json()) as TableMetadata) : null;
}

/** Per project, the Tarn snapshot this isolate has synced the tables up to: later syncs read only what is newer. */
const syncedUpTo = new Map<string, number>();

/**
 * Brings the project's Iceberg tables up to its manifest: for every dataset whose newest Tarn
 * snapshot is past its table's version, one Iceberg snapshot per new Tarn snapshot (files ADDED,
 * EXISTING, DELETED), then `v{head}.metadata.json` and `version-hint.text`. Idempotent: objects are
 * named by snapshot, and a table already at its head is left alone, so a repeated or concurrent
 * sync changes nothing. `only` limits it to one dataset (a catalog read).
 */
export async function syncIcebergProject(env: IcebergEnv, project: string, only?: string): Promise<void> {
  const since = syncedUpTo.get(project) ?? 0;
  const latest = await latestSnapshot(env.DB, project);
  if (latest <= since) return;
  for (const { dataset, head } of await datasetHeads(env.DB, project, since)) {
    if (only !== undefined && dataset !== only) continue;
    await syncTable(env, project, dataset, head);
  }
  if (only === undefined) syncedUpTo.set(project, latest);
}

/**
 * The metadata this isolate last wrote per table. A stale entry (another isolate wrote since) is
 * harmless: the sync rebuilds every Tarn snapshot after the entry's head, named as the other wrote them.
 */
const lastWritten = new Map<string, TableMetadata>();
const MAX_CACHED_TABLES = 1000;

async function syncTable(env: IcebergEnv, project: string, dataset: string, head: number): Promise<void> {
  const prefix = tablePrefix(project, dataset);
  const cached = lastWritten.get(prefix);
  const previous = cached ?? (await readMetadata(env.LAKE, project, dataset));
  const since = previous?.["current-snapshot-id"] ?? 0;
  if (since >= head) return;
  const history = await datasetHistory(env.DB, project, dataset, since);
  const { ids: fresh, full: catchUp } = icebergSnapshotIds(history.files, since, head, MAX_NEW_SNAPSHOTS);
  if (fresh.length === 0) return;

  const extra = history.files
    .flatMap((f) => f.columns)
    .filter((c, i, all) => all.findIndex((x) => x.name === c.name) === i);
  const lastSchema = previous?.schemas[previous.schemas.length - 1];
  const schema = icebergSchema(extra, lastSchema);
  const schemas: IcebergSchema[] =
    previous && lastSchema && lastSchema["schema-id"] === schema["schema-id"]
      ? previous.schemas
      : [...(previous?.schemas ?? []), schema];

  const snapshots: IcebergSnapshot[] = [...(previous?.snapshots ?? [])];
  let parent = snapshots[snapshots.length - 1]?.["snapshot-id"];
  // A catch-up that left snapshots out starts from a full manifest: reused ones could list removed files.
  let manifests = catchUp ? null : manifestsOf(snapshots);
  // The Iceberg snapshot holding a file a Tarn snapshot added: the first at or after it.
  const icebergIds = [...snapshots.map((x) => x["snapshot-id"]), ...fresh];
  const cover = (tarn: number) => icebergIds.find((x) => x >= tarn) ?? tarn;
  for (const id of fresh) {
    const info = history.snapshots.get(id);
    const entries = entriesAt(history.files, id, (key) => warehouseUrl(env, key), TS_FIELD_ID, parent ?? 0, cover);
    const added = entries.filter((e) => e.status === 1);
    const deleted = entries.filter((e) => e.status === 2);
    // Fast append: an append's manifest holds only its new files and the list reuses the earlier
    // manifests; anything that removes files (compaction, retention, rollback) starts a full one.
    const appendOnly =
      manifests !== null && manifests.length < MAX_LIST_MANIFESTS && deleted.length === 0 && added.length > 0;
    const written = appendOnly ? added : entries;
    const manifestKey = `${prefix}/metadata/${id}-m0.avro`;
    const listKey = `${prefix}/metadata/snap-${id}.avro`;
    const manifest = writeManifest(schema, written);
    const ref = manifestRef(warehouseUrl(env, manifestKey), manifest.byteLength, id, written, !appendOnly);
    manifests = appendOnly && manifests ? [...manifests, ref] : [ref];
    const list = writeManifestList({ snapshotId: id, parentSnapshotId: parent ?? null, sequenceNumber: id, manifests });
    await env.LAKE.put(manifestKey, manifest);
    await env.LAKE.put(listKey, list);
    const live = entries.filter((e) => e.status !== 2);
    const snapshot: IcebergSnapshot = {
      "snapshot-id": id,
      "sequence-number": id,
      "timestamp-ms": info?.createdAt ?? Date.now(),
      "manifest-list": warehouseUrl(env, listKey),
      summary: {
        operation: operationOf(info?.kind ?? "append"),
        "tarn.kind": info?.kind ?? "append",
        "added-data-files": String(added.length),
        "deleted-data-files": String(deleted.length),
        "added-records": String(added.reduce((n, e) => n + e.records, 0)),
        "deleted-records": String(deleted.reduce((n, e) => n + e.records, 0)),
        "total-data-files": String(live.length),
        "total-records": String(live.reduce((n, e) => n + e.records, 0)),
        "total-files-size": String(live.reduce((n, e) => n + e.bytes, 0)),
        [MANIFEST_SUMMARY_KEY]: JSON.stringify(ref),
      },
      "schema-id": schema["schema-id"],
    };
    if (parent !== undefined) snapshot["parent-snapshot-id"] = parent;
    snapshots.push(snapshot);
    parent = id;
  }

  const version = fresh[fresh.length - 1] as number;
  const metadataLog = [...(previous?.["metadata-log"] ?? [])];
  if (previous) {
    metadataLog.push({
      "timestamp-ms": previous["last-updated-ms"],
      "metadata-file": warehouseUrl(env, `${prefix}/metadata/v${since}.metadata.json`),
    });
  }
  const metadata = tableMetadata({
    uuid: previous?.["table-uuid"] ?? (await tableUuid(project, dataset)),
    location: warehouseUrl(env, prefix),
    schemas,
    snapshots: snapshots.slice(-MAX_SNAPSHOTS),
    metadataLog: metadataLog.slice(-MAX_SNAPSHOTS),
    properties: { "tarn.project": project, "tarn.dataset": dataset },
    now: Date.now(),
  });
  await env.LAKE.put(`${prefix}/metadata/v${version}.metadata.json`, JSON.stringify(metadata), {
    httpMetadata: { contentType: "application/json" },
  });
  if (lastWritten.size >= MAX_CACHED_TABLES) lastWritten.clear();
  lastWritten.set(prefix, metadata);
  // The hint moves forward only: a slower concurrent sync of an older head must not move it back.
  if ((await currentVersion(env.LAKE, project, dataset)) < version) {
    await env.LAKE.put(`${prefix}/metadata/version-hint.text`, String(version));
  }
}

/**
 * The manifests of the last snapshot's list: its own and, back to the last full one, those of the
 * appends before it. Null when the chain cannot be rebuilt (expired or older metadata): the next
 * snapshot then writes a full manifest.
 */
function manifestsOf(snapshots: readonly IcebergSnapshot[]): ManifestRef[] | null {
  const chain: ManifestRef[] = [];
  for (let i = snapshots.length - 1; i >= 0; i--) {
    const raw = snapshots[i]?.summary[MANIFEST_SUMMARY_KEY];
    if (!raw) return null;
    const ref = JSON.parse(raw) as ManifestRef;
    chain.unshift(ref);
    if (ref.full) return chain;
  }
  return null;
}

/** The projects a queue batch's messages name (events bodies and job messages carry `project`). */
export function projectsOfBatch(messages: readonly { body: unknown }[]): string[] {
  const projects = new Set<string>();
  for (const m of messages) {
    const body = m.body;
    if (typeof body === "string") {
      const match = /"project"\s*:\s*"([^"\\]{1,128})"/.exec(body.slice(0, 400));
      if (match?.[1]) projects.add(match[1]);
    } else if (body && typeof body === "object") {
      const p = (body as { project?: unknown }).project;
      if (typeof p === "string") projects.add(p);
    }
  }
  return [...projects];
}

/** `syncIcebergProject` for `waitUntil`: a failure is logged; the next change or catalog read retries. */
export async function syncIcebergQuietly(env: IcebergEnv, project: string, only?: string): Promise<void> {
  try {
    await syncIcebergProject(env, project, only);
  } catch (err) {
    console.error(JSON.stringify({ level: "error", msg: "iceberg sync failed", project, error: String(err) }));
  }
}

/** Per project, when this isolate last started a sync after a queue batch. */
const lastBatchSync = new Map<string, number>();
const MAX_TRACKED_PROJECTS = 10_000;

/**
 * After a queue batch (ingest appends, compaction, retention, erasure jobs): syncs the projects it touched.
 * Ingest batches sync a project at most once per `intervalMs` per isolate (the sync reads the manifest's
 * history and rewrites every touched table's metadata, so once per batch cost landing ~7 % of its
 * thread); the next sync writes one Iceberg snapshot per Tarn snapshot it missed, so nothing is lost,
 * only later. The REST catalog syncs a table when it is loaded, so catalog readers always see the head.
 * Job batches (compaction, retention, erasure, rollbacks) always sync.
 */
export async function syncIcebergAfterBatch(
  env: IcebergEnv,
  messages: readonly { body: unknown }[],
  options: { intervalMs?: number; now?: number } = {},
): Promise<void> {
  const now = options.now ?? Date.now();
  const interval = options.intervalMs ?? 0;
  for (const project of projectsOfBatch(messages)) {
    if (interval > 0 && now - (lastBatchSync.get(project) ?? Number.NEGATIVE_INFINITY) < interval) continue;
    if (lastBatchSync.size >= MAX_TRACKED_PROJECTS) lastBatchSync.clear();
    lastBatchSync.set(project, now);
    await syncIcebergQuietly(env, project);
  }
}
