// The Parquet schema of a lake file: one leaf per LAKE_COLUMNS entry, in that order.
import type { SchemaElement } from "hyparquet";
import { LAKE_COLUMNS, type LakeColumnName } from "./lake-row";

/** How a column's values are encoded (see parquet-columns.ts). */
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
  return { elements, kinds };
}
