// Tarn's Avro writer and Iceberg manifests, read back by an independent reader (icebird's Avro decoder).
import { parquetMetadata } from "hyparquet";
import { avroMetadata, avroRead } from "icebird";
import { describe, expect, it } from "vitest";
import { type AvroSchema, avroContainer, avroEncode } from "../../shared/iceberg/avro";
import {
  type ManifestFileEntry,
  manifestRef,
  timestampBound,
  writeManifest,
  writeManifestList,
} from "../../shared/iceberg/manifest";
import { entriesAt, icebergSnapshotIds, touchingSnapshots } from "../../shared/iceberg/plan";
import { icebergSchema, typedFieldId } from "../../shared/iceberg/schema";
import { encodeLakeFile } from "../../shared/parquet/lake-file";

function readBack(bytes: Uint8Array) {
  const reader = { view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), offset: 0 };
  const { metadata, syncMarker } = avroMetadata(reader);
  return { metadata, records: avroRead({ reader, metadata, syncMarker }) as Record<string, unknown>[] };
}

describe("Avro writer", () => {
  it("encodes longs as zigzag varints across the 64-bit range", () => {
    expect([...avroEncode("long", 0)]).toEqual([0]);
    expect([...avroEncode("long", -1)]).toEqual([1]);
    expect([...avroEncode("long", 1)]).toEqual([2]);
    expect([...avroEncode("long", 64)]).toEqual([0x80, 0x01]);
    expect([...avroEncode("long", -9223372036854775808n)]).toEqual([255, 255, 255, 255, 255, 255, 255, 255, 255, 1]);
  });

  it("writes a container file that an independent reader reads back field by field (its reader has no Avro maps)", () => {
    const schema: AvroSchema = {
      type: "record",
      name: "r",
      fields: [
        { name: "s", type: "string" },
        { name: "n", type: "long" },
        { name: "d", type: "double" },
        { name: "b", type: "boolean" },
        { name: "o", type: ["null", "string"] },
        { name: "a", type: { type: "array", items: "int" } },
        { name: "x", type: "bytes" },
      ],
    };
    const rows = [
      {
        s: "Grüße",
        n: 1234567890123n,
        d: 2.5,
        b: true,
        o: null,
        a: [1, -2, 3],
        m: { k: 7n },
        x: new Uint8Array([1, 2]),
      },
      { s: "", n: -5n, d: -0.125, b: false, o: "set", a: [], x: new Uint8Array([]) },
    ];
    const { metadata, records } = readBack(avroContainer(schema, rows, { note: "hi" }));
    expect(metadata.note).toBe("hi");
    expect(records).toHaveLength(2);
    expect(records[0]).toMatchObject({ s: "Grüße", d: 2.5, b: true, a: [1, -2, 3] });
    expect(BigInt(records[0]?.n as bigint)).toBe(1234567890123n);
    expect(records[0]?.o ?? null).toBeNull();
    expect(records[1]).toMatchObject({ s: "", b: false, o: "set", a: [] });
    expect(BigInt(records[1]?.n as bigint)).toBe(-5n);
  });
});

describe("Iceberg manifests", () => {
  const files = [
    { key: "a", addedSnapshot: 10, removedSnapshot: 30, rows: 5, bytes: 100, minTs: 1000, maxTs: 2000 },
    { key: "b", addedSnapshot: 20, removedSnapshot: 30, rows: 7, bytes: 120, minTs: 1500, maxTs: 2500 },
    { key: "c", addedSnapshot: 30, removedSnapshot: null, rows: 12, bytes: 150, minTs: 1000, maxTs: 2500 },
  ];

  it("gives each Tarn snapshot the files live in it, compaction as ADDED and DELETED entries", () => {
    expect(touchingSnapshots(files)).toEqual([10, 20, 30]);
    const at = (id: number) =>
      entriesAt(files, id, (k) => `s3://b/${k}`, 3).map((e) => [e.path, e.status, e.snapshotId]);
    expect(at(10)).toEqual([["s3://b/a", 1, 10]]);
    expect(at(20)).toEqual([
      ["s3://b/a", 0, 10],
      ["s3://b/b", 1, 20],
    ]);
    expect(at(30)).toEqual([
      ["s3://b/a", 2, 30],
      ["s3://b/b", 2, 30],
      ["s3://b/c", 1, 30],
    ]);
  });

  it("collapses consecutive appends into one Iceberg snapshot; a snapshot that removes files stays its own", () => {
    const more = [
      ...files,
      { key: "d", addedSnapshot: 40, removedSnapshot: null, rows: 1, bytes: 10, minTs: 1000, maxTs: 1000 },
      { key: "e", addedSnapshot: 50, removedSnapshot: null, rows: 1, bytes: 10, minTs: 1000, maxTs: 1000 },
    ];
    expect(icebergSnapshotIds(more, 0, 50, 50)).toEqual({ ids: [20, 30, 50], full: false });
    expect(icebergSnapshotIds(more, 20, 40, 50)).toEqual({ ids: [30, 40], full: false });
    expect(icebergSnapshotIds(more, 0, 50, 2)).toEqual({ ids: [30, 50], full: true });
    // Snapshot 50 covers 40 and 50: both files ADDED there; older files EXISTING under the snapshot holding them.
    const cover = (t: number) => [20, 30, 50].find((x) => x >= t) ?? t;
    expect(
      entriesAt(more, 50, (k) => k, 3, 30, cover).map((e) => [e.path, e.status, e.snapshotId, e.sequenceNumber]),
    ).toEqual([
      ["c", 0, 30, 30],
      ["d", 1, 50, 50],
      ["e", 1, 50, 50],
    ]);
    expect(entriesAt(more, 20, (k) => k, 3, 0, cover).map((e) => [e.path, e.status, e.snapshotId])).toEqual([
      ["a", 1, 20],
      ["b", 1, 20],
    ]);
  });

  it("writes a manifest and a manifest list that read back with the spec's field names", () => {
    const schema = icebergSchema([]);
    const entries: ManifestFileEntry[] = entriesAt(files, 30, (k) => `s3://b/${k}`, 3);
    const manifest = writeManifest(schema, entries);
    const m = readBack(manifest);
    expect(m.metadata["format-version"]).toBe("2");
    expect((m.metadata.schema as { fields: { name: string }[] }).fields[2]?.name).toBe("ts");
    expect(m.records.map((r) => [r.status, (r.data_file as { file_path: string }).file_path])).toEqual([
      [2, "s3://b/a"],
      [2, "s3://b/b"],
      [1, "s3://b/c"],
    ]);
    const c = m.records[2]?.data_file as { record_count: bigint; file_format: string; lower_bounds: unknown };
    expect(Number(c.record_count)).toBe(12);
    expect(c.file_format).toBe("PARQUET");

    const earlier = manifestRef(
      "s3://b/10-m0.avro",
      100,
      10,
      entriesAt(files, 10, (k) => `s3://b/${k}`, 3),
      true,
    );
    const list = readBack(
      writeManifestList({
        snapshotId: 30,
        parentSnapshotId: 20,
        sequenceNumber: 30,
        manifests: [earlier, manifestRef("s3://b/m.avro", manifest.byteLength, 30, entries, true)],
      }),
    );
    expect(list.metadata["parent-snapshot-id"]).toBe("20");
    expect(list.records.map((r) => r.manifest_path)).toEqual(["s3://b/10-m0.avro", "s3://b/m.avro"]);
    expect(Number(list.records[0]?.sequence_number)).toBe(10);
    const row = list.records[1] as Record<string, bigint | number | string>;
    expect(Number(row.sequence_number)).toBe(30);
    expect(Number(row.min_sequence_number)).toBe(30);
    expect(row.manifest_path).toBe("s3://b/m.avro");
    expect(Number(row.added_files_count)).toBe(1);
    expect(Number(row.deleted_files_count)).toBe(2);
    expect(Number(row.added_rows_count)).toBe(12);
    expect(Number(row.deleted_rows_count)).toBe(12);
  });

  it("serializes timestamp bounds as little-endian microseconds", () => {
    const b = timestampBound(1_700_000_000_123);
    expect(new DataView(b.buffer).getBigInt64(0, true)).toBe(1_700_000_000_123_000n);
  });

  it("keeps field ids stable: fixed for the lake columns, name-derived for typed ones", () => {
    const first = icebergSchema([{ name: "total", type: "DOUBLE" }]);
    expect(first.fields.slice(0, 3).map((f) => [f.id, f.name])).toEqual([
      [1, "event_id"],
      [2, "event_type"],
      [3, "ts"],
    ]);
    expect(first.fields.at(-1)).toEqual({ id: typedFieldId("total"), name: "total", required: false, type: "double" });
    expect(typedFieldId("total")).toBeGreaterThanOrEqual(10_000);
    const second = icebergSchema(
      [
        { name: "sku", type: "VARCHAR" },
        { name: "total", type: "DOUBLE" },
      ],
      first,
    );
    expect(second.fields.find((f) => f.name === "total")?.id).toBe(typedFieldId("total"));
    expect(second.fields.find((f) => f.name === "sku")?.id).toBe(typedFieldId("sku"));
    expect(second["schema-id"]).toBe(first["schema-id"] + 1);
    expect(icebergSchema([{ name: "total", type: "DOUBLE" }], first)["schema-id"]).toBe(first["schema-id"]);
  });
});

describe("Parquet field ids", () => {
  it("every lake file carries the Iceberg schema's field id on each column", () => {
    const row = {
      event_id: "e1",
      event_type: "Order Completed",
      ts: 1_700_000_000_000,
      received_at: 1_700_000_000_500,
      user_id: "u",
      session_id: null,
      correlation_id: null,
      source: null,
      version: null,
      environment: null,
      region: null,
      request_id: "r",
      country: null,
      colo: null,
      payload: '{"total":1}',
      metadata: null,
    };
    const file = encodeLakeFile([row]);
    const schema = parquetMetadata(
      file.buffer.slice(file.byteOffset, file.byteOffset + file.byteLength) as ArrayBuffer,
    ).schema;
    const ids = Object.fromEntries(schema.slice(1).map((e) => [e.name, e.field_id]));
    expect(ids).toEqual(Object.fromEntries(icebergSchema([]).fields.map((f) => [f.name, f.id])));

    // A contract's typed columns too, so the Iceberg schema's extra fields find their data.
    const typed = encodeLakeFile([row], { typedColumns: [{ name: "total", property: "total", type: "BIGINT" }] });
    const typedSchema = parquetMetadata(
      typed.buffer.slice(typed.byteOffset, typed.byteOffset + typed.byteLength) as ArrayBuffer,
    ).schema;
    expect(Object.fromEntries(typedSchema.slice(1).map((e) => [e.name, e.field_id]))).toEqual(
      Object.fromEntries(icebergSchema([{ name: "total", type: "BIGINT" }]).fields.map((f) => [f.name, f.id])),
    );
  });
});
