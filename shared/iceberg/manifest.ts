// Iceberg v2 manifests and manifest lists as Avro (spec: "Manifests", "Manifest Lists"), one manifest per snapshot.
import { type AvroSchema, avroContainer } from "./avro";
import type { IcebergSchema } from "./schema";

/** Entry status: 0 EXISTING, 1 ADDED, 2 DELETED. */
export type EntryStatus = 0 | 1 | 2;

export interface ManifestFileEntry {
  status: EntryStatus;
  /** The snapshot that added the file (for DELETED: the one that removed it). */
  snapshotId: number;
  /** Data sequence number: the sequence number of the snapshot that added the file. */
  sequenceNumber: number;
  path: string;
  records: number;
  bytes: number;
  /** Bounds of the `ts` column (epoch ms), written as Iceberg single-value binaries (µs, little-endian). */
  tsFieldId: number;
  minTs: number;
  maxTs: number;
}

const bounds = (name: string, fieldId: number, keyId: number): AvroSchema => [
  "null",
  {
    type: "array",
    logicalType: "map",
    items: {
      type: "record",
      name: `k${keyId}_v${keyId + 1}`,
      fields: [
        { name: "key", type: "int", "field-id": keyId },
        { name: "value", type: "bytes", "field-id": keyId + 1 },
      ],
    },
    "field-id": fieldId,
    name,
  },
];

/** The v2 manifest entry schema (field ids from the spec); unpartitioned tables, so `partition` is an empty record. */
export const MANIFEST_ENTRY_SCHEMA: AvroSchema = {
  type: "record",
  name: "manifest_entry",
  fields: [
    { name: "status", type: "int", "field-id": 0 },
    { name: "snapshot_id", type: ["null", "long"], default: null, "field-id": 1 },
    { name: "sequence_number", type: ["null", "long"], default: null, "field-id": 3 },
    { name: "file_sequence_number", type: ["null", "long"], default: null, "field-id": 4 },
    {
      name: "data_file",
      "field-id": 2,
      type: {
        type: "record",
        name: "r2",
        fields: [
          { name: "content", type: "int", "field-id": 134 },
          { name: "file_path", type: "string", "field-id": 100 },
          { name: "file_format", type: "string", "field-id": 101 },
          { name: "partition", type: { type: "record", name: "r102", fields: [] }, "field-id": 102 },
          { name: "record_count", type: "long", "field-id": 103 },
          { name: "file_size_in_bytes", type: "long", "field-id": 104 },
          { name: "lower_bounds", type: bounds("lower_bounds", 125, 126), default: null, "field-id": 125 },
          { name: "upper_bounds", type: bounds("upper_bounds", 128, 129), default: null, "field-id": 128 },
        ],
      },
    },
  ],
};

/** The v2 manifest list schema (`manifest_file`). */
export const MANIFEST_LIST_SCHEMA: AvroSchema = {
  type: "record",
  name: "manifest_file",
  fields: [
    { name: "manifest_path", type: "string", "field-id": 500 },
    { name: "manifest_length", type: "long", "field-id": 501 },
    { name: "partition_spec_id", type: "int", "field-id": 502 },
    { name: "content", type: "int", "field-id": 517 },
    { name: "sequence_number", type: "long", "field-id": 515 },
    { name: "min_sequence_number", type: "long", "field-id": 516 },
    { name: "added_snapshot_id", type: "long", "field-id": 503 },
    { name: "added_files_count", type: "int", "field-id": 504 },
    { name: "existing_files_count", type: "int", "field-id": 505 },
    { name: "deleted_files_count", type: "int", "field-id": 506 },
    { name: "added_rows_count", type: "long", "field-id": 512 },
    { name: "existing_rows_count", type: "long", "field-id": 513 },
    { name: "deleted_rows_count", type: "long", "field-id": 514 },
  ],
};

/** Iceberg's single-value serialization of a timestamp: microseconds as a little-endian int64. */
export function timestampBound(ms: number): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigInt64(0, BigInt(Math.trunc(ms)) * 1000n, true);
  return b;
}

/** The manifest of one snapshot: every file live in it, plus the ones it removed (DELETED). */
export function writeManifest(schema: IcebergSchema, entries: readonly ManifestFileEntry[]): Uint8Array {
  const records = entries.map((e) => ({
    status: e.status,
    snapshot_id: BigInt(e.snapshotId),
    sequence_number: BigInt(e.sequenceNumber),
    file_sequence_number: BigInt(e.sequenceNumber),
    data_file: {
      content: 0,
      file_path: e.path,
      file_format: "PARQUET",
      partition: {},
      record_count: BigInt(e.records),
      file_size_in_bytes: BigInt(e.bytes),
      lower_bounds: [{ key: e.tsFieldId, value: timestampBound(e.minTs) }],
      upper_bounds: [{ key: e.tsFieldId, value: timestampBound(e.maxTs) }],
    },
  }));
  return avroContainer(MANIFEST_ENTRY_SCHEMA, records, {
    schema: JSON.stringify(schema),
    "schema-id": String(schema["schema-id"]),
    "partition-spec": "[]",
    "partition-spec-id": "0",
    "format-version": "2",
    content: "data",
  });
}

/** One manifest as a manifest list names it; kept in the snapshot summary so later lists can reuse it. */
export interface ManifestRef {
  path: string;
  length: number;
  /** The snapshot that wrote it (its sequence number too). */
  snapshotId: number;
  minSequenceNumber: number;
  /** Files and rows by entry status: [ADDED, EXISTING, DELETED]. */
  files: [number, number, number];
  rows: [number, number, number];
  /** True when it lists every live file of its snapshot (a list starting from it needs nothing older). */
  full: boolean;
}

/** The reference to a manifest just written from `entries`. */
export function manifestRef(
  path: string,
  length: number,
  snapshotId: number,
  entries: readonly ManifestFileEntry[],
  full: boolean,
): ManifestRef {
  const files: [number, number, number] = [0, 0, 0];
  const rows: [number, number, number] = [0, 0, 0];
  const order = [1, 0, 2] as const; // ADDED, EXISTING, DELETED
  for (const e of entries) {
    const i = order.indexOf(e.status as 1 | 0 | 2);
    files[i] = (files[i] ?? 0) + 1;
    rows[i] = (rows[i] ?? 0) + e.records;
  }
  // The smallest data sequence number of the manifest's live (not DELETED) files.
  const minSequenceNumber = Math.min(snapshotId, ...entries.filter((e) => e.status !== 2).map((e) => e.sequenceNumber));
  return { path, length, snapshotId, minSequenceNumber, files, rows, full };
}

export interface ManifestListInput {
  snapshotId: number;
  parentSnapshotId: number | null;
  sequenceNumber: number;
  /** The snapshot's manifests: a full one, then the appends' manifests since it (fast append). */
  manifests: readonly ManifestRef[];
}

/** The manifest list of one snapshot. */
export function writeManifestList(input: ManifestListInput): Uint8Array {
  return avroContainer(
    MANIFEST_LIST_SCHEMA,
    input.manifests.map((m) => ({
      manifest_path: m.path,
      manifest_length: BigInt(m.length),
      partition_spec_id: 0,
      content: 0,
      sequence_number: BigInt(m.snapshotId),
      min_sequence_number: BigInt(m.minSequenceNumber),
      added_snapshot_id: BigInt(m.snapshotId),
      added_files_count: m.files[0],
      existing_files_count: m.files[1],
      deleted_files_count: m.files[2],
      added_rows_count: BigInt(m.rows[0]),
      existing_rows_count: BigInt(m.rows[1]),
      deleted_rows_count: BigInt(m.rows[2]),
    })),
    {
      "snapshot-id": String(input.snapshotId),
      "parent-snapshot-id": input.parentSnapshotId === null ? "null" : String(input.parentSnapshotId),
      "sequence-number": String(input.sequenceNumber),
      "format-version": "2",
    },
  );
}
