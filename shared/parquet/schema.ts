// Schemas, both ways: the lake's (one leaf per LAKE_COLUMNS entry, in that order) written into every
// file, and what any file's schema element means for reading its column (nullability, time unit).
import type { CompressionCodec, SchemaElement } from "hyparquet";
import { columnFieldId } from "../iceberg/schema";
import { LAKE_COLUMNS, type LakeColumnName } from "../lake/lake-row";
import type { ColumnSpec } from "./page";

// Writing

/** How a column's values are encoded (see columns.ts). */
export type LakeColumnKind = "timestamp" | "dictionary" | "plain";

/**
 * String columns whose values repeat within a file (enums, users, sessions, one request id per
 * ingest batch). They are always dictionary-encoded, whatever their repeat rate in one row group:
 * time-clustered ids (sessions, requests) repeat in runs that a sample spread over a chunk misses,
 * and a dictionary plus bit-packed indexes still beats PLAIN after ZSTD. Everything else that is a
 * string is mostly unique and stays PLAIN.
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
  /** Root element then one leaf per column, with every annotation; written as the footer's schema. */
  elements: SchemaElement[];
  /** Per column (LAKE_COLUMNS order), how its values are encoded. */
  kinds: LakeColumnKind[];
}

/**
 * Build the lake schema. Timestamps are INT64 TIMESTAMP(MILLIS, isAdjustedToUTC = false), the unit
 * LakeRow already uses, which DuckDB reads as plain TIMESTAMP. Strings are BYTE_ARRAY STRING (UTF8),
 * payload and metadata BYTE_ARRAY JSON; all but event_id, event_type, ts and received_at are optional.
 */
export function lakeSchema(): LakeSchema {
  const elements: SchemaElement[] = [{ name: "root", num_children: LAKE_COLUMNS.length }];
  const kinds: LakeColumnKind[] = [];
  for (const { name, type } of LAKE_COLUMNS) {
    const repetition_type = REQUIRED_COLUMNS.has(name) ? "REQUIRED" : "OPTIONAL";
    if (type === "TIMESTAMP") {
      elements.push({
        name,
        type: "INT64",
        repetition_type,
        logical_type: { type: "TIMESTAMP", isAdjustedToUTC: false, unit: "MILLIS" },
      });
      kinds.push("timestamp");
    } else if (type === "JSON") {
      elements.push({
        name,
        type: "BYTE_ARRAY",
        repetition_type,
        converted_type: "JSON",
        logical_type: { type: "JSON" },
      });
      kinds.push("plain");
    } else {
      elements.push({
        name,
        type: "BYTE_ARRAY",
        repetition_type,
        converted_type: "UTF8",
        logical_type: { type: "STRING" },
      });
      kinds.push(DICTIONARY_COLUMNS.has(name) ? "dictionary" : "plain");
    }
  }
  // Iceberg field ids: every lake file is also a data file of the dataset's Iceberg table.
  for (const e of elements.slice(1)) e.field_id = columnFieldId(e.name);
  return { elements, kinds };
}

// Reading

/** Multiplier from a column's stored unit to epoch ms (timestamps, dates); 1 for anything else. */
export function timeScale(e: SchemaElement): number {
  const unit = e.logical_type?.type === "TIMESTAMP" ? e.logical_type.unit : undefined;
  if (unit === "MICROS" || e.converted_type === "TIMESTAMP_MICROS") return 0.001;
  if (unit === "NANOS") return 1e-6;
  if (e.converted_type === "DATE" || e.logical_type?.type === "DATE") return 86_400_000;
  return 1;
}

/** How to read a column chunk of `element`, compressed with `codec`, as strings or numbers. */
export function columnSpec(element: SchemaElement, codec: CompressionCodec, strings: boolean): ColumnSpec {
  return {
    element,
    maxDef: element.repetition_type === "REQUIRED" ? 0 : 1,
    codec,
    scale: timeScale(element),
    strings,
  };
}
