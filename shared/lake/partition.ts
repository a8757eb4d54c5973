// Lake object keys: Hive-style, project-scoped partitions by dataset, day and hour (UTC).

/**
 * bronze/silver hold events; `uploads` (files people upload), `gold` (materialized views) and
 * `audit` (the audit log's copy) hold tables of their own: their files carry the whole column
 * list, and `events` never includes them.
 */
export type Layer = "bronze" | "silver" | "gold" | "uploads" | "audit";

/** The layers whose files are events (the `events` table and the per-event-type tables). */
export const EVENT_LAYERS: readonly Layer[] = ["bronze", "silver"];

/** The layers whose datasets are tables of their own (columns from their files, not the lake's). */
export const OWN_TABLE_LAYERS: readonly Layer[] = ["uploads", "gold", "audit"];

/** What `/v1/datasets` and the catalog call a dataset, by the layer of its files. */
export type DatasetKind = "events" | "upload" | "view" | "audit";

export function datasetKindOf(layer: Layer | undefined): DatasetKind {
  if (layer === "uploads") return "upload";
  if (layer === "gold") return "view";
  if (layer === "audit") return "audit";
  return "events";
}

export interface Partition {
  project: string;
  dataset: string;
  /** YYYY-MM-DD, UTC. */
  dt: string;
  /** 0–23, UTC. */
  hr: number;
}

/** The partition an event time falls in. */
export function partitionOf(project: string, dataset: string, ts: number): Partition {
  const iso = new Date(ts).toISOString();
  return { project, dataset, dt: iso.slice(0, 10), hr: Number(iso.slice(11, 13)) };
}

/** A stable string for grouping rows by partition. */
export function partitionId(p: Partition): string {
  return `${p.project}\u0000${p.dataset}\u0000${p.dt}\u0000${p.hr}`;
}

/**
 * `lake/{project}/{layer}/{dataset}/dt=YYYY-MM-DD/hr=HH/{file}.parquet`, without the `hr=` level
 * for a file covering a whole day. The dataset is one path segment (`datasetSegment`).
 */
export function lakeKey(p: Omit<Partition, "hr"> & { hr: number | null }, layer: Layer, file: string): string {
  const hour = p.hr === null ? "" : `hr=${String(p.hr).padStart(2, "0")}/`;
  return `lake/${p.project}/${layer}/${datasetSegment(p.dataset)}/dt=${p.dt}/${hour}${file}.parquet`;
}

const SAFE_SEGMENT = /^[A-Za-z0-9_.:-]+$/;
const SAFE_CHAR = /[A-Za-z0-9_.:-]/;
const utf8 = new TextEncoder();

/**
 * A dataset name as one key segment: names of `[A-Za-z0-9_.:-]` stay as they are (the keys of
 * existing files keep their shape); any other character becomes `~` and two hex digits per UTF-8
 * byte, so `Order Completed` is `Order~20Completed`. Not percent-encoding: the key is written into
 * URLs (Iceberg metadata, S3 paths) as is, and `%` there would be read as an escape. Names are never
 * dots only (envelope rule), so the segment is never `.` or `..`.
 */
export function datasetSegment(dataset: string): string {
  if (SAFE_SEGMENT.test(dataset)) return dataset;
  let out = "";
  for (const ch of dataset) {
    if (SAFE_CHAR.test(ch)) out += ch;
    else for (const b of utf8.encode(ch)) out += `~${b.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}
