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

export interface ManifestListInput {
  manifestPath: string;
  manifestLength: number;
  snapshotId: number;
  parentSnapshotId: number | null;
  sequenceNumber: number;
  entries: readonly ManifestFileEntry[];
}

/** The manifest list of one snapshot: its single manifest, with counts by status. */
export function writeManifestList(input: ManifestListInput): Uint8Array {
  const count = (s: EntryStatus) => input.entries.filter((e) => e.status === s);
  const rows = (s: EntryStatus) => count(s).reduce((n, e) => n + e.records, 0);
  const minSeq = Math.min(input.sequenceNumber, ...input.entries.map((e) => e.sequenceNumber));
  return avroContainer(
    MANIFEST_LIST_SCHEMA,
    [
      {
        manifest_path: input.manifestPath,
        manifest_length: BigInt(input.manifestLength),
        partition_spec_id: 0,
        content: 0,
        sequence_number: BigInt(input.sequenceNumber),
        min_sequence_number: BigInt(minSeq),
        added_snapshot_id: BigInt(input.snapshotId),
        added_files_count: count(1).length,
        existing_files_count: count(0).length,
        deleted_files_count: count(2).length,
        added_rows_count: BigInt(rows(1)),
        existing_rows_count: BigInt(rows(0)),
        deleted_rows_count: BigInt(rows(2)),
      },
    ],
    {
      "snapshot-id": String(input.snapshotId),
      "parent-snapshot-id": input.parentSnapshotId === null ? "null" : String(input.parentSnapshotId),
      "sequence-number": String(input.sequenceNumber),
      "format-version": "2",
    },
  );
}
