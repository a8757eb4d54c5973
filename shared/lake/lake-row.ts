// One event as stored in the lake: the typed envelope columns, then payload and metadata as JSON text.

export interface LakeRow {
  event_id: string;
  event_type: string;
  /** Event time, epoch milliseconds (UTC). */
  ts: number;
  /** Receive time at the edge, epoch milliseconds (UTC). */
  received_at: number;
  user_id: string | null;
  session_id: string | null;
  correlation_id: string | null;
  source: string | null;
  version: string | null;
  environment: string | null;
  region: string | null;
  /** Edge enrichment: the ingest request id, and request.cf country and colo where present. */
  request_id: string | null;
  country: string | null;
  colo: string | null;
  /** JSON text of data.payload, or null. */
  payload: string | null;
  /** JSON text of data.metadata, or null. */
  metadata: string | null;
}

/** Column order of every lake file, and the SQL type each column has for queries (DuckDB names). */
export const LAKE_COLUMNS = [
  { name: "event_id", type: "VARCHAR" },
  { name: "event_type", type: "VARCHAR" },
  { name: "ts", type: "TIMESTAMP" },
  { name: "received_at", type: "TIMESTAMP" },
  { name: "user_id", type: "VARCHAR" },
  { name: "session_id", type: "VARCHAR" },
  { name: "correlation_id", type: "VARCHAR" },
  { name: "source", type: "VARCHAR" },
  { name: "version", type: "VARCHAR" },
  { name: "environment", type: "VARCHAR" },
  { name: "region", type: "VARCHAR" },
  { name: "request_id", type: "VARCHAR" },
  { name: "country", type: "VARCHAR" },
  { name: "colo", type: "VARCHAR" },
  { name: "payload", type: "JSON" },
  { name: "metadata", type: "JSON" },
] as const satisfies readonly { name: keyof LakeRow; type: string }[];

export type LakeColumnName = (typeof LAKE_COLUMNS)[number]["name"];

/** The lake columns as the manifest records them per file. */
export const FILE_COLUMNS = LAKE_COLUMNS.map((c) => ({ name: c.name, type: c.type }));
