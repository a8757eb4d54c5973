// Contract-declared payload columns in a lake file: their schema elements, values gathered in the
// file's row order, and PLAIN-encoded chunks for the numeric and boolean ones (strings reuse the
// dictionary encoder).
import type { SchemaElement } from "hyparquet";
import { type TypedColumn, typedValue } from "../contracts/typed-columns";
import { columnFieldId } from "../iceberg/schema";
import type { LakeRow } from "../lake/lake-row";
import { ChunkWriter } from "./chunk";
import { type ColumnContext, type EncodedChunk, writeDictionaryColumn } from "./columns";
import { writeHybrid } from "./rle";

/** Values of one typed column in a row group: numbers (BIGINT, DOUBLE, TIMESTAMP ms), booleans or strings. */
export type TypedValues = (number | boolean | string | null)[];

const MAX_PAGE_BYTES = 48 * 1024;

/**
 * The OPTIONAL schema leaf of a typed column (DuckDB reads each as the SQL type the contract maps to),
 * with its Iceberg field id like every lake column (the file is also a data file of an Iceberg table).
 */
export function typedElement(column: TypedColumn): SchemaElement {
  const base = { name: column.name, repetition_type: "OPTIONAL" as const, field_id: columnFieldId(column.name) };
  switch (column.type) {
    case "BIGINT":
      return { ...base, type: "INT64" };
    case "DOUBLE":
      return { ...base, type: "DOUBLE" };
    case "BOOLEAN":
      return { ...base, type: "BOOLEAN" };
    case "TIMESTAMP":
      return { ...base, type: "INT64", logical_type: { type: "TIMESTAMP", isAdjustedToUTC: false, unit: "MILLIS" } };
    default:
      return { ...base, type: "BYTE_ARRAY", converted_type: "UTF8", logical_type: { type: "STRING" } };
  }
}

/** Parsed payload objects of the rows in file order (null where absent or not an object). */
export function parsePayloads(
  rows: readonly LakeRow[],
  order: Uint32Array,
  from: number,
  to: number,
): (Record<string, unknown> | null)[] {
  const out: (Record<string, unknown> | null)[] = new Array(to - from);
  for (let i = 0; i < to - from; i++) {
    const text = (rows[order[from + i] as number] as LakeRow).payload;
    let value: unknown = null;
    if (text !== null) {
      try {
        value = JSON.parse(text);
      } catch {
        value = null;
      }
    }
    out[i] = value && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  }
  return out;
}

export function gatherTyped(payloads: (Record<string, unknown> | null)[], column: TypedColumn): TypedValues {
  return payloads.map((p) => typedValue(p, column));
}

/** A typed column's chunk for one row group. */
export function writeTypedColumn(
  ctx: ColumnContext,
  element: SchemaElement,
  values: TypedValues,
  n: number,
): EncodedChunk {
  if (element.type === "BYTE_ARRAY") return writeDictionaryColumn(ctx, element, values as (string | null)[], n);
  // INT32 holds DATE columns of uploaded tables (epoch days).
  const width = element.type === "BOOLEAN" ? 0 : element.type === "INT32" ? 4 : 8;
  const writer = new ChunkWriter(ctx.file, element, ctx.compress, ctx.ratios);
  const defs = ctx.defs;
  let nulls = 0;
  let min: number | boolean | undefined;
  let max: number | boolean | undefined;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (v === null || v === undefined) {
      defs[i] = 0;
      nulls++;
      continue;
    }
    defs[i] = 1;
    if (min === undefined || (v as number) < (min as number)) min = v as number | boolean;
    if (max === undefined || (v as number) > (max as number)) max = v as number | boolean;
  }
  const perPage = width === 0 ? MAX_PAGE_BYTES * 8 : MAX_PAGE_BYTES / width;
  for (let from = 0; from < n; from += perPage) {
    const to = Math.min(n, from + perPage);
    let present = 0;
    for (let i = from; i < to; i++) present += defs[i] as number;
    const body = new Uint8Array(width === 0 ? Math.ceil(present / 8) : present * width);
    const view = new DataView(body.buffer);
    let k = 0;
    for (let i = from; i < to; i++) {
      if (defs[i] === 0) continue;
      const v = values[i];
      if (element.type === "BOOLEAN") {
        if (v) body[k >> 3] = (body[k >> 3] as number) | (1 << (k & 7));
      } else if (element.type === "DOUBLE") view.setFloat64(k * 8, v as number, true);
      else if (element.type === "INT32") view.setInt32(k * 4, v as number, true);
      else view.setBigInt64(k * 8, BigInt(v as number), true);
      k++;
    }
    ctx.levels.reset();
    writeHybrid(ctx.levels, defs, from, to, 1);
    writer.dataPage(to - from, to - from - present, ctx.levels.view(), body, "PLAIN");
  }
  const stat = (v: number | boolean | undefined) =>
    v === undefined ? undefined : element.type === "INT64" ? BigInt(v as number) : v;
  return writer.finish("PLAIN", nulls, stat(min), stat(max));
}
