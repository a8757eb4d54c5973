// AuditLog: one object per project that serializes appends to its hash chain, stored in SQLite.
import { DurableObject } from "cloudflare:workers";
import {
  type AuditEntry,
  AuditRecord,
  type ChainVerdict,
  chainHash,
  entryFields,
  GENESIS_HASH,
  verifyChain,
} from "../../shared/access/audit-chain";
import { migrateSchema } from "../sqlite-schema";
import { AUDIT_LOG_SCHEMA } from "./schema";

interface Row extends Record<string, SqlStorageValue> {
  seq: number;
  at: string;
  actor_type: string;
  actor_id: string;
  action: string;
  target: string;
  outcome: string;
  status: number;
  request_id: string;
  country: string | null;
  reason: string | null;
  prev_hash: string;
  hash: string;
}

export interface AuditFilter {
  from?: string;
  to?: string;
  action?: string;
  actor?: string;
  /** Entries after this seq. */
  afterSeq: number;
  limit: number;
}

function toEntry(r: Row): AuditEntry {
  return {
    seq: r.seq,
    at: r.at,
    actor: { type: r.actor_type as AuditEntry["actor"]["type"], id: r.actor_id },
    action: r.action,
    target: r.target,
    outcome: r.outcome as AuditEntry["outcome"],
    status: r.status,
    request_id: r.request_id,
    country: r.country,
    reason: r.reason,
    prev_hash: r.prev_hash,
    hash: r.hash,
  };
}

export class AuditLog extends DurableObject<Env> {
  private readonly sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    migrateSchema(ctx.storage, AUDIT_LOG_SCHEMA);
  }

  /**
   * Appends records in order and returns the new head. The hashes are computed before the one synchronous
   * write, and the object runs one call at a time (input gates), so the chain never forks.
   */
  async append(records: unknown[]): Promise<{ seq: number; head: string }> {
    const parsed = records.map((r) => AuditRecord.parse(r));
    return this.ctx.blockConcurrencyWhile(async () => {
      const last = this.sql
        .exec<{ seq: number; hash: string }>("SELECT seq, hash FROM entries ORDER BY seq DESC LIMIT 1")
        .toArray()[0];
      let seq = last?.seq ?? 0;
      let prev = last?.hash ?? GENESIS_HASH;
      const rows: AuditEntry[] = [];
      for (const r of parsed) {
        seq++;
        const hash = await chainHash(prev, { ...r, seq });
        rows.push({ ...r, seq, prev_hash: prev, hash });
        prev = hash;
      }
      this.ctx.storage.transactionSync(() => {
        for (const e of rows)
          this.sql.exec(
            `INSERT INTO entries (seq, at, actor_type, actor_id, action, target, outcome, status, request_id, country, reason, prev_hash, hash)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
            ...entryFields(e),
            e.prev_hash,
            e.hash,
          );
      });
      return { seq, head: prev };
    });
  }

  /** Entries matching `filter`, oldest first, at most `limit`. */
  list(filter: AuditFilter): AuditEntry[] {
    const clauses: [string, SqlStorageValue[]][] = [["seq > ?", [filter.afterSeq]]];
    if (filter.from) clauses.push(["at >= ?", [filter.from]]);
    if (filter.to) clauses.push(["at < ?", [filter.to]]);
    if (filter.action) clauses.push(["(action = ? OR action LIKE ?)", [filter.action, `${filter.action}.%`]]);
    if (filter.actor) clauses.push(["actor_id = ?", [filter.actor]]);
    const where = clauses.map(([w]) => w);
    const args = clauses.flatMap(([, a]) => a);
    return this.sql
      .exec<Row>(`SELECT * FROM entries WHERE ${where.join(" AND ")} ORDER BY seq LIMIT ?`, ...args, filter.limit)
      .toArray()
      .map(toEntry);
  }

  /** Recomputes the whole chain from the stored entries. */
  async verify(): Promise<ChainVerdict> {
    const sql = this.sql;
    const head = sql.exec<{ s: number | null }>("SELECT max(seq) AS s FROM entries").one().s ?? 0;
    // Pages of 1,000, up to the head as it was when verification began (appends may continue meanwhile).
    async function* entries() {
      for (let after = 0; after < head; after += 1000) {
        const page = sql.exec<Row>(
          "SELECT * FROM entries WHERE seq > ? AND seq <= ? ORDER BY seq",
          after,
          Math.min(head, after + 1000),
        );
        for (const r of page.toArray()) yield toEntry(r);
      }
    }
    return verifyChain(entries());
  }

  /** Entries after the last export, for the lake copy; `markExported` moves the mark once they are written. */
  pendingExport(limit: number): AuditEntry[] {
    const done =
      this.sql.exec<{ s: number }>("SELECT exported_seq AS s FROM export_state WHERE id = 1").toArray()[0]?.s ?? 0;
    return this.sql
      .exec<Row>("SELECT * FROM entries WHERE seq > ? ORDER BY seq LIMIT ?", done, limit)
      .toArray()
      .map(toEntry);
  }

  markExported(seq: number): void {
    this.sql.exec(
      "INSERT INTO export_state (id, exported_seq) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET exported_seq = max(exported_seq, excluded.exported_seq)",
      seq,
    );
  }
}
