// DedupeShard: one shard of the event-id memory that makes ingest exactly-once. SQLite is the truth.
import { DurableObject } from "cloudflare:workers";
import { getOrInsert } from "../../shared/collections";
import {
  CLAIM_LEASE_MS,
  type ClaimEntry,
  type ClaimExceptions,
  type ClaimGroup,
  type ClaimVerdict,
} from "../../shared/dedupe";
import { jsonChunks } from "../../shared/json-chunks";
import { migrateSchema } from "../sqlite-schema";
import { DEDUPE_SCHEMA } from "./schema";

const SWEEP_EVERY_MS = 15 * 60_000;
const SWEEP_ROWS = 50_000;
/** Bound on one statement's JSON argument, well below a Durable Object's 2 MB string limit. */
const KEYS_CHUNK_CHARS = 512 * 1024;

type ClaimRow = {
  k: string;
  batch: string;
  claimed_at: number;
  committed: number;
};

/**
 * Claims are rows keyed by id; a batch's commit is one row in `committed_batches`, so committing
 * never rewrites the claims, and claiming is a few set-based statements per call whatever its size.
 */
export class DedupeShard extends DurableObject<Env> {
  private readonly sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    migrateSchema(ctx.storage, DEDUPE_SCHEMA);
  }

  /**
   * Claims keys for `batch`. A key never seen (or forgotten after its window) is claimed and
   * "new"; one whose batch committed is a "duplicate"; one held by an uncommitted batch is
   * "pending". A repeated claim by the same batch is "new" again, so a retried RPC is harmless.
   */
  claim(batch: string, entries: ClaimEntry[], now = Date.now()): ClaimVerdict[] {
    const groups = new Map<number, string[]>();
    for (const e of entries) getOrInsert(groups, e.expiresAt, () => []).push(e.key);
    const found = this.claimGroups(
      batch,
      [...groups].map(([expiresAt, keys]) => ({ expiresAt, keys })),
      now,
    );
    const verdicts = new Map<string, ClaimVerdict>();
    for (const key of found.duplicates) verdicts.set(key, { kind: "duplicate" });
    for (const p of found.pending) verdicts.set(p.key, { kind: "pending", batch: p.batch, expired: p.expired });
    return entries.map((e) => verdicts.get(e.key) ?? { kind: "new" });
  }

  /**
   * `claim` for keys grouped by expiry, answering only the keys that are not new: what the consumer
   * calls, so neither direction of the RPC carries an object per key. Two statements per group:
   * a read of the keys already held (usually none), then one upsert that claims new keys and takes
   * over keys past their window in place.
   */
  claimGroups(batch: string, groups: ClaimGroup[], now = Date.now()): ClaimExceptions {
    const found: ClaimExceptions = { duplicates: [], pending: [] };
    this.ctx.storage.transactionSync(() => {
      for (const { expiresAt, keys } of groups) {
        const json = JSON.stringify(keys);
        const held = this.sql.exec<ClaimRow>(
          `SELECT c.k, c.batch, c.claimed_at, (b.batch IS NOT NULL) AS committed
           FROM claims c LEFT JOIN committed_batches b ON b.batch = c.batch
           WHERE c.k IN (SELECT value FROM json_each(?)) AND c.expires_at > ?`,
          json,
          now,
        );
        for (const row of held) {
          if (row.committed) found.duplicates.push(row.k);
          else if (row.batch !== batch)
            found.pending.push({ key: row.k, batch: row.batch, expired: now - row.claimed_at > CLAIM_LEASE_MS });
        }
        this.sql.exec(
          `INSERT INTO claims (k, batch, claimed_at, expires_at)
           SELECT value, ?, ?, ? FROM json_each(?) WHERE true
           ON CONFLICT (k) DO UPDATE SET batch = excluded.batch, claimed_at = excluded.claimed_at,
             expires_at = excluded.expires_at
           WHERE claims.expires_at <= ?`,
          batch,
          now,
          expiresAt,
          json,
          now,
        );
      }
    });
    void this.ensureSweep();
    return found;
  }

  /** Marks the batch committed (its rows are in the manifest): one row, whatever the batch's size. */
  commit(batch: string): number {
    return this.sql.exec(
      `INSERT OR IGNORE INTO committed_batches (batch, expires_at)
       SELECT ?, max(expires_at) FROM claims WHERE batch = ? HAVING count(*) > 0`,
      batch,
      batch,
    ).rowsWritten;
  }

  /** Drops the batch's claims (the batch failed before its manifest commit). */
  release(batch: string): number {
    const committed = this.sql.exec("SELECT 1 FROM committed_batches WHERE batch = ?", batch).toArray().length > 0;
    return committed ? 0 : this.sql.exec("DELETE FROM claims WHERE batch = ?", batch).rowsWritten;
  }

  /**
   * Forgets `keys` (rolled back after they landed, or before): their claims go, committed or pending,
   * so the same event ids can be claimed and land again. Returns how many keys were held.
   */
  forget(keys: string[]): number {
    let forgotten = 0;
    this.ctx.storage.transactionSync(() => {
      for (const json of jsonChunks(keys, KEYS_CHUNK_CHARS))
        forgotten += this.sql
          .exec("DELETE FROM claims WHERE k IN (SELECT value FROM json_each(?)) RETURNING k", json)
          .toArray().length;
    });
    return forgotten;
  }

  /** Moves expired claims of a dead batch to `to`; returns the keys now held by `to`. */
  takeOver(from: string, to: string, keys: string[], now = Date.now()): string[] {
    const committed = this.sql.exec("SELECT 1 FROM committed_batches WHERE batch = ?", from).toArray().length > 0;
    if (committed) return [];
    return this.sql
      .exec<{ k: string }>(
        `UPDATE claims SET batch = ?, claimed_at = ?
         WHERE k IN (SELECT value FROM json_each(?)) AND batch = ? AND claimed_at < ?
         RETURNING k`,
        to,
        now,
        JSON.stringify(keys),
        from,
        now - CLAIM_LEASE_MS,
      )
      .toArray()
      .map((r) => r.k);
  }

  /** Forgets ids whose window has passed, a bounded number per alarm, then batches nobody references. */
  override async alarm(): Promise<void> {
    const now = Date.now();
    this.sql.exec(
      "DELETE FROM claims WHERE k IN (SELECT k FROM claims WHERE expires_at <= ? LIMIT ?)",
      now,
      SWEEP_ROWS,
    );
    this.sql.exec("DELETE FROM committed_batches WHERE expires_at <= ?", now);
    const left = this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM claims").one().n;
    if (left > 0) await this.ctx.storage.setAlarm(now + SWEEP_EVERY_MS);
  }

  private async ensureSweep(): Promise<void> {
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(Date.now() + SWEEP_EVERY_MS);
  }
}
