// The audit log's Parquet copy reads back the same entries with hyparquet and with DuckDB.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { zstdDecompressSync } from "node:zlib";
import { DuckDBInstance } from "@duckdb/node-api";
import { parquetReadObjects } from "hyparquet";
import { afterAll, describe, expect, it } from "vitest";
import { type AuditEntry, chainHash, GENESIS_HASH } from "../../shared/access/audit-chain";
import { auditFileKey, encodeAuditFile } from "../../shared/access/audit-parquet";

async function entries(n: number): Promise<AuditEntry[]> {
  const out: AuditEntry[] = [];
  let prev = GENESIS_HASH;
  for (let seq = 1; seq <= n; seq++) {
    const record = {
      at: new Date(Date.UTC(2026, 10, 30, 1, 0, seq)).toISOString(),
      actor: { type: seq % 3 ? ("user" as const) : ("key" as const), id: `id_${seq % 7}` },
      action: seq % 2 ? "query.run" : "keys.create",
      target: `/v1/thing/${seq}`,
      outcome: seq % 5 ? ("ok" as const) : ("denied" as const),
      status: seq % 5 ? 200 : 403,
      request_id: `req-${seq}`,
      country: seq % 4 ? "DE" : null,
      reason: seq % 5 ? null : "lacks permission manage",
    };
    const hash = await chainHash(prev, { ...record, seq });
    out.push({ ...record, seq, prev_hash: prev, hash });
    prev = hash;
  }
  return out;
}

const flat = (e: AuditEntry) => ({
  seq: e.seq,
  at: Date.parse(e.at),
  actor_type: e.actor.type,
  actor_id: e.actor.id,
  action: e.action,
  target: e.target,
  outcome: e.outcome,
  status: e.status,
  request_id: e.request_id,
  country: e.country,
  reason: e.reason,
  prev_hash: e.prev_hash,
  hash: e.hash,
});

let dir: string | undefined;
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("the audit log's Parquet copy", () => {
  it("names files by project, day and seq range", async () => {
    const e = await entries(3);
    expect(auditFileKey("prj_1", e)).toBe("audit/prj_1/dt=2026-11-30/000000000001-000000000003.parquet");
  });

  it("reads back every entry with hyparquet and DuckDB", async () => {
    const e = await entries(500);
    const bytes = encodeAuditFile(e);
    const rows = await parquetReadObjects({
      file: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer,
      compressors: { ZSTD: (input: Uint8Array) => new Uint8Array(zstdDecompressSync(input)) },
    });
    expect(rows.map((r) => ({ ...r, seq: Number(r.seq), at: (r.at as Date).getTime() }))).toEqual(e.map(flat));

    dir = await mkdtemp(path.join(tmpdir(), "tarn-audit-"));
    const file = path.join(dir, "audit.parquet");
    await writeFile(file, bytes);
    const instance = await DuckDBInstance.create(":memory:");
    const duckdb = await instance.connect();
    try {
      const reader = await duckdb.runAndReadAll(
        `SELECT seq::INTEGER AS seq, epoch_ms("at") AS "at", actor_type, actor_id, action, target, outcome, status, request_id, country, reason, prev_hash, hash FROM read_parquet('${file}') ORDER BY seq`,
      );
      const got = reader.getRowObjectsJson().map((r) => ({ ...r, at: Number(r.at) }));
      expect(got).toEqual(e.map(flat));
      const denied = await duckdb.runAndReadAll(
        `SELECT count(*)::INTEGER AS n FROM read_parquet('${file}') WHERE outcome = 'denied'`,
      );
      expect(denied.getRowObjectsJson()[0]?.n).toBe(100);
    } finally {
      duckdb.closeSync();
      instance.closeSync();
    }
  });
});
