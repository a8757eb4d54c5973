// Iceberg v2 table metadata (spec: "Table Metadata"): one JSON per version, snapshots matching Tarn's.
import { type IcebergSchema, nameMapping } from "./schema";

export interface IcebergSnapshot {
  "snapshot-id": number;
  "parent-snapshot-id"?: number;
  "sequence-number": number;
  "timestamp-ms": number;
  "manifest-list": string;
  summary: Record<string, string>;
  "schema-id": number;
}

export interface TableMetadata {
  "format-version": 2;
  "table-uuid": string;
  location: string;
  "last-sequence-number": number;
  "last-updated-ms": number;
  "last-column-id": number;
  "current-schema-id": number;
  schemas: IcebergSchema[];
  "default-spec-id": 0;
  "partition-specs": { "spec-id": 0; fields: [] }[];
  "last-partition-id": 999;
  "default-sort-order-id": 0;
  "sort-orders": { "order-id": 0; fields: [] }[];
  properties: Record<string, string>;
  "current-snapshot-id"?: number;
  refs: Record<string, { "snapshot-id": number; type: "branch" }>;
  snapshots: IcebergSnapshot[];
  "snapshot-log": { "timestamp-ms": number; "snapshot-id": number }[];
  "metadata-log": { "timestamp-ms": number; "metadata-file": string }[];
}

/** Iceberg's operation for each kind of Tarn snapshot: compaction rewrites, retention and erasure delete. */
export function operationOf(kind: string): "append" | "replace" | "delete" | "overwrite" {
  if (kind === "append" || kind === "upload") return "append";
  if (kind === "compact") return "replace";
  if (kind === "retention") return "delete";
  return "overwrite";
}

/** A stable UUID for a table, from its project and dataset (the same table keeps it across versions). */
export async function tableUuid(project: string, dataset: string): Promise<string> {
  const digest = new Uint8Array(
    await crypto.subtle.digest("SHA-256", new TextEncoder().encode(`tarn-iceberg\u0000${project}\u0000${dataset}`)),
  );
  const b = digest.slice(0, 16);
  b[6] = ((b[6] as number) & 0x0f) | 0x50; // version 5 style (name-based)
  b[8] = ((b[8] as number) & 0x3f) | 0x80;
  const hex = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export interface MetadataInput {
  uuid: string;
  location: string;
  /** Every schema version so far, the current one last. */
  schemas: IcebergSchema[];
  snapshots: IcebergSnapshot[];
  metadataLog: TableMetadata["metadata-log"];
  properties: Record<string, string>;
  now: number;
}

/** The metadata JSON of a table version; the current snapshot is the last of `snapshots`. */
export function tableMetadata(input: MetadataInput): TableMetadata {
  const current = input.schemas[input.schemas.length - 1] as IcebergSchema;
  const head = input.snapshots[input.snapshots.length - 1];
  const metadata: TableMetadata = {
    "format-version": 2,
    "table-uuid": input.uuid,
    location: input.location,
    "last-sequence-number": head?.["sequence-number"] ?? 0,
    "last-updated-ms": input.now,
    "last-column-id": Math.max(0, ...input.schemas.flatMap((s) => s.fields.map((f) => f.id))),
    "current-schema-id": current["schema-id"],
    schemas: input.schemas,
    "default-spec-id": 0,
    "partition-specs": [{ "spec-id": 0, fields: [] }],
    "last-partition-id": 999,
    "default-sort-order-id": 0,
    "sort-orders": [{ "order-id": 0, fields: [] }],
    properties: {
      ...input.properties,
      "write.format.default": "parquet",
      "schema.name-mapping.default": nameMapping(current),
    },
    refs: head ? { main: { "snapshot-id": head["snapshot-id"], type: "branch" } } : {},
    snapshots: input.snapshots,
    "snapshot-log": input.snapshots.map((s) => ({
      "timestamp-ms": s["timestamp-ms"],
      "snapshot-id": s["snapshot-id"],
    })),
    "metadata-log": input.metadataLog,
  };
  if (head) metadata["current-snapshot-id"] = head["snapshot-id"];
  return metadata;
}
