// The Parquet schema of a lake file: one leaf per LAKE_COLUMNS entry, in that order.
import type { SchemaElement } from "hyparquet";
import { LAKE_COLUMNS, type LakeColumnName } from "./lake-row";

/** How a column's values are handed to hyparquet-writer. */
export type LakeColumnKind = "timestamp" | "dictionary" | "plain";

/**
 * String columns whose values repeat within a file (enums, users, sessions, one request id per
 * ingest batch). They are always dictionary-encoded: hyparquet-writer's own sampling looks at 1,000
 * rows spread over the whole chunk, misses the repeats of time-clustered ids (sessions, requests)
 * and would fall back to PLAIN. Everything else that is a string is mostly unique and stays PLAIN.
 */
const DICTIONARY_COLUMNS: ReadonlySet<LakeColumnName> = new Set([
  "event_type",
  "user_id",
  "session_id",
  "source",
  "version",
  "environment",
  "region",
  "request_id",
  "country",
  "colo",
]);

const REQUIRED_COLUMNS: ReadonlySet<LakeColumnName> = new Set(["event_id", "event_type", "ts", "received_at"]);

export interface LakeSchema {
  /** Schema as hyparquet-writer encodes with it (see `finalize`). */
  elements: SchemaElement[];
  kinds: LakeColumnKind[];
  /** Adds the annotations that were held back while encoding; call after the last row group, before `finish()`. */
  finalize(): void;
}

/**
 * Build the lake schema. Timestamps are INT64 TIMESTAMP(MILLIS, isAdjustedToUTC = false), the unit
 * LakeRow already uses, which DuckDB reads as plain TIMESTAMP. Strings are STRING (UTF8), payload
 * and metadata are JSON; all but event_id, event_type, ts and received_at are optional.
 *
 * Some annotations are held back while values are encoded and added by `finalize()`, because
 * hyparquet-writer converts values by annotation: with converted type UTF8 it runs a TextEncoder per
 * value up front, with JSON it `JSON.stringify`s each value (turning our JSON text into a quoted
 * string), and with a TIMESTAMP logical type it copies the column into an array of BigInts. Written
 * as bare BYTE_ARRAY / INT64 the values pass through untouched, and the footer, written by `finish()`
 * from these same elements, still carries every annotation.
 */
export function lakeSchema(): LakeSchema {
  const elements: SchemaElement[] = [{ name: "root", num_children: LAKE_COLUMNS.length }];
  const kinds: LakeColumnKind[] = [];
  const heldBack: [SchemaElement, Partial<SchemaElement>][] = [];
  for (const { name, type } of LAKE_COLUMNS) {
    const repetition_type = REQUIRED_COLUMNS.has(name) ? "REQUIRED" : "OPTIONAL";
    if (type === "TIMESTAMP") {
      const element: SchemaElement = { name, type: "INT64", repetition_type };
      heldBack.push([element, { logical_type: { type: "TIMESTAMP", isAdjustedToUTC: false, unit: "MILLIS" } }]);
      elements.push(element);
      kinds.push("timestamp");
    } else if (type === "JSON") {
      const element: SchemaElement = { name, type: "BYTE_ARRAY", repetition_type };
      heldBack.push([element, { converted_type: "JSON", logical_type: { type: "JSON" } }]);
      elements.push(element);
      kinds.push("plain");
    } else {
      const element: SchemaElement = { name, type: "BYTE_ARRAY", repetition_type, logical_type: { type: "STRING" } };
      heldBack.push([element, { converted_type: "UTF8" }]);
      elements.push(element);
      kinds.push(DICTIONARY_COLUMNS.has(name) ? "dictionary" : "plain");
    }
  }
  return {
    elements,
    kinds,
    finalize() {
      for (const [element, annotations] of heldBack) Object.assign(element, annotations);
    },
  };
}
