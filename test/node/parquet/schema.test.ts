// Schemas: the lake's leaves as written into every file, and what a schema element means to the reader.
import type { SchemaElement } from "hyparquet";
import { describe, expect, it } from "vitest";
import { LAKE_COLUMNS } from "../../../shared/lake/lake-row";
import { parseFooter } from "../../../shared/parquet/footer";
import { encodeLakeFile } from "../../../shared/parquet/lake-file";
import { columnSpec, lakeSchema, timeScale } from "../../../shared/parquet/schema";

describe("lake schema", () => {
  it("is written into the file's footer as built, one leaf per lake column", () => {
    const { elements, kinds } = lakeSchema();
    expect(elements[0]).toEqual({ name: "root", num_children: LAKE_COLUMNS.length });
    expect(kinds).toHaveLength(LAKE_COLUMNS.length);
    expect(parseFooter(encodeLakeFile([]).slice().buffer).schema).toEqual(elements);
  });

  it("encodes timestamps as deltas, repeating strings with a dictionary, ids and JSON as PLAIN", () => {
    const { kinds } = lakeSchema();
    const kind = Object.fromEntries(LAKE_COLUMNS.map((c, i) => [c.name, kinds[i]]));
    expect(kind).toMatchObject({
      ts: "timestamp",
      received_at: "timestamp",
      event_type: "dictionary",
      session_id: "dictionary",
      event_id: "plain",
      payload: "plain",
    });
  });

  it("reads back as the columns the writer wrote: time units to ms, nullability to definition levels", () => {
    const [root, ...leaves] = lakeSchema().elements;
    expect(root?.name).toBe("root");
    for (const leaf of leaves) {
      const spec = columnSpec(leaf, "ZSTD", leaf.type === "BYTE_ARRAY");
      expect(spec.maxDef, leaf.name).toBe(leaf.repetition_type === "REQUIRED" ? 0 : 1);
      expect(spec.scale, leaf.name).toBe(1);
    }
  });
});

describe("time scales of other writers' files", () => {
  const element = (e: Partial<SchemaElement>): SchemaElement => ({ name: "t", type: "INT64", ...e });
  it("turns micros, nanos and days into epoch ms, and leaves anything else alone", () => {
    expect(timeScale(element({ logical_type: { type: "TIMESTAMP", isAdjustedToUTC: true, unit: "MICROS" } }))).toBe(
      0.001,
    );
    expect(timeScale(element({ converted_type: "TIMESTAMP_MICROS" }))).toBe(0.001);
    expect(timeScale(element({ logical_type: { type: "TIMESTAMP", isAdjustedToUTC: true, unit: "NANOS" } }))).toBe(
      1e-6,
    );
    expect(timeScale(element({ type: "INT32", converted_type: "DATE" }))).toBe(86_400_000);
    expect(timeScale(element({ type: "INT32", logical_type: { type: "DATE" } }))).toBe(86_400_000);
    expect(timeScale(element({ converted_type: "TIMESTAMP_MILLIS" }))).toBe(1);
    expect(timeScale(element({}))).toBe(1);
  });
});
