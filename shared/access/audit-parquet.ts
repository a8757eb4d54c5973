// The audit log's lake copy: entries as one ZSTD Parquet file (any Parquet reader, e.g. DuckDB over R2's S3 API).
import { parquetWriteBuffer } from "hyparquet-writer";
import { lakeCompress } from "../parquet/codecs";
import type { AuditEntry } from "./audit-chain";

/** `audit/{project}/dt=YYYY-MM-DD/{first seq}-{last seq}.parquet`: one name per range, so a repeated export overwrites itself. */
export function auditFileKey(projectId: string, entries: readonly AuditEntry[]): string {
  const first = entries[0];
  const last = entries.at(-1);
  if (!first || !last) throw new Error("an audit file needs entries");
  const pad = (n: number) => String(n).padStart(12, "0");
  return `audit/${projectId}/dt=${first.at.slice(0, 10)}/${pad(first.seq)}-${pad(last.seq)}.parquet`;
}

/** The SQL table admins query the exported entries as (`SELECT … FROM audit`). */
export const AUDIT_TABLE = "audit";

/** The audit table's columns as SQL sees them (the order of `encodeAuditFile`). */
export const AUDIT_COLUMNS: readonly { name: string; type: string }[] = [
  { name: "seq", type: "BIGINT" },
  { name: "at", type: "TIMESTAMP" },
  { name: "actor_type", type: "VARCHAR" },
  { name: "actor_id", type: "VARCHAR" },
  { name: "action", type: "VARCHAR" },
  { name: "target", type: "VARCHAR" },
  { name: "outcome", type: "VARCHAR" },
  { name: "status", type: "INTEGER" },
  { name: "request_id", type: "VARCHAR" },
  { name: "country", type: "VARCHAR" },
  { name: "reason", type: "VARCHAR" },
  { name: "prev_hash", type: "VARCHAR" },
  { name: "hash", type: "VARCHAR" },
];

/** An audit file's first seq, from its key: files starting at the same seq are rewrites of one export. */
export function auditFilePrefix(projectId: string, entries: readonly AuditEntry[]): string {
  return auditFileKey(projectId, entries).replace(/-\d+\.parquet$/, "-");
}

/** Columns in the order of the API's entries, the actor split in two; timestamps as TIMESTAMP. */
export function encodeAuditFile(entries: readonly AuditEntry[]): Uint8Array {
  const col = <T>(f: (e: AuditEntry) => T) => entries.map(f);
  const buffer = parquetWriteBuffer({
    codec: "ZSTD",
    compressors: { ZSTD: lakeCompress },
    columnData: [
      { name: "seq", data: col((e) => BigInt(e.seq)), type: "INT64", nullable: false },
      { name: "at", data: col((e) => new Date(e.at)), type: "TIMESTAMP", nullable: false },
      { name: "actor_type", data: col((e) => e.actor.type), type: "STRING", nullable: false },
      { name: "actor_id", data: col((e) => e.actor.id), type: "STRING", nullable: false },
      { name: "action", data: col((e) => e.action), type: "STRING", nullable: false },
      { name: "target", data: col((e) => e.target), type: "STRING", nullable: false },
      { name: "outcome", data: col((e) => e.outcome), type: "STRING", nullable: false },
      { name: "status", data: col((e) => e.status), type: "INT32", nullable: false },
      { name: "request_id", data: col((e) => e.request_id), type: "STRING", nullable: false },
      { name: "country", data: col((e) => e.country), type: "STRING" },
      { name: "reason", data: col((e) => e.reason), type: "STRING" },
      { name: "prev_hash", data: col((e) => e.prev_hash), type: "STRING", nullable: false },
      { name: "hash", data: col((e) => e.hash), type: "STRING", nullable: false },
    ],
  });
  return new Uint8Array(buffer);
}
