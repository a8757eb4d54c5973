// DedupeShard: one shard of the event-id memory that makes ingest exactly-once. SQLite is the truth.
import { DurableObject } from "cloudflare:workers";
import type { ClaimEntry, ClaimVerdict } from "../shared/dedupe";

/** How long a claim by a batch that has not committed blocks others before it may be taken over. */
export const CLAIM_LEASE_MS = 120_000;
const SWEEP_EVERY_MS = 15 * 60_000;
const SWEEP_ROWS = 50_000;

export class DedupeShard extends DurableObject<Env> {
  private readonly sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec(`CREATE TABLE IF NOT EXISTS ids (
      k TEXT PRIMARY KEY,
      batch TEXT NOT NULL,
      committed INTEGER NOT NULL,
      claimed_at INTEGER NOT NULL,
      expires_at INTEGER NOT NULL
    ) WITHOUT ROWID`);
    this.sql.exec("CREATE INDEX IF NOT EXISTS ids_batch ON ids (batch, committed)");
    this.sql.exec("CREATE INDEX IF NOT EXISTS ids_expiry ON ids (expires_at)");
  }

  /**
   * Claims keys for `batch`. A key never seen (or forgotten after its window) is claimed and
   * "new"; a committed one is a "duplicate"; one claimed by an uncommitted batch is "pending".
   * A repeated claim by the same batch is "new" again, so a retried RPC is harmless.
   */
  claim(batch: string, entries: ClaimEntry[], now = Date.now()): ClaimVerdict[] {
    const verdicts: ClaimVerdict[] = [];
    this.ctx.storage.transactionSync(() => {
      for (const { key, expiresAt } of entries) {
        const row = this.sql
          .exec<{ batch: string; committed: number; claimed_at: number; expires_at: number }>(
            "SELECT batch, committed, claimed_at, expires_at FROM ids WHERE k = ?",
            key,
          )
          .toArray()[0];
        if (!row || (row.expires_at <= now && row.committed === 1)) {
          this.sql.exec(
            "INSERT OR REPLACE INTO ids (k, batch, committed, claimed_at, expires_at) VALUES (?, ?, 0, ?, ?)",
            key,
            batch,
            now,
            expiresAt,
          );
          verdicts.push({ kind: "new" });
        } else if (row.committed === 1) {
          verdicts.push({ kind: "duplicate" });
        } else if (row.batch === batch) {
          verdicts.push({ kind: "new" });
        } else {
          verdicts.push({ kind: "pending", batch: row.batch, expired: now - row.claimed_at > CLAIM_LEASE_MS });
        }
      }
    });
    void this.ensureSweep();
    return verdicts;
  }

  /** Marks the batch's claims committed: its rows are in the manifest. */
  commit(batch: string): number {
    return this.sql.exec("UPDATE ids SET committed = 1 WHERE batch = ? AND committed = 0", batch).rowsWritten;
  }

  /** Drops the batch's uncommitted claims (the batch failed before its manifest commit). */
  release(batch: string): number {
    return this.sql.exec("DELETE FROM ids WHERE batch = ? AND committed = 0", batch).rowsWritten;
  }

  /** Moves expired claims of a dead batch to `to`; returns the keys now held by `to`. */
  takeOver(from: string, to: string, keys: string[], now = Date.now()): string[] {
    const taken: string[] = [];
    this.ctx.storage.transactionSync(() => {
      for (const key of keys) {
        const written = this.sql.exec(
          "UPDATE ids SET batch = ?, claimed_at = ? WHERE k = ? AND batch = ? AND committed = 0 AND claimed_at < ?",
          to,
          now,
          key,
          from,
          now - CLAIM_LEASE_MS,
        ).rowsWritten;
        if (written > 0) taken.push(key);
      }
    });
    return taken;
  }

  /** Forgets keys whose window has passed, a bounded number per alarm. */
  override async alarm(): Promise<void> {
    const now = Date.now();
    this.sql.exec("DELETE FROM ids WHERE k IN (SELECT k FROM ids WHERE expires_at <= ? LIMIT ?)", now, SWEEP_ROWS);
    const left = this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM ids").one().n;
    if (left > 0) await this.ctx.storage.setAlarm(now + SWEEP_EVERY_MS);
  }

  private async ensureSweep(): Promise<void> {
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(Date.now() + SWEEP_EVERY_MS);
  }
}
