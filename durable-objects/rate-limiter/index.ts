// RateLimiter: one object per principal (or per project for ingest, per email for logins) keeping exact
// sliding windows in SQLite; the object serializes its calls, so counting is exact across isolates.
// Each bucket's window is also held in memory, read from SQLite once per object life and written
// through: a query's hourly window can hold thousands of hits, and reading them all back on every
// call made the limiter a query's largest cost (bench/RESULTS.md, "the query floor").
import { DurableObject } from "cloudflare:workers";
import type { LeaseGrant, LeaseReturn } from "../../shared/access/ingest-lease";
import { decide, type WindowDecision, type WindowHit, type WindowLimit } from "../../shared/access/sliding-window";
import { migrateSchema } from "../sqlite-schema";
import { RATE_LIMITER_SCHEMA } from "./schema";

/** A served request in a bucket's window: its row in `hits`, so a lease's return can amend it. */
interface LoggedHit extends WindowHit {
  id: number;
}

export class RateLimiter extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  /** Each bucket's hits inside its window, oldest first: SQLite's rows, read once. */
  private readonly windows = new Map<string, LoggedHit[]>();
  /** An alarm is known to be set (asking storage on every call cost a round trip each). */
  private alarmSet = false;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    migrateSchema(ctx.storage, RATE_LIMITER_SCHEMA);
  }

  /** The bucket's hits inside the window ending now, oldest first (the expired ones dropped). */
  private window(bucket: string, windowMs: number, now: number): LoggedHit[] {
    const from = now - windowMs;
    let hits = this.windows.get(bucket);
    if (!hits) {
      hits = this.sql
        .exec<{ id: number; at: number; cost: number }>(
          "SELECT rowid AS id, at, cost FROM hits WHERE bucket = ? AND at > ? ORDER BY at",
          bucket,
          from,
        )
        .toArray();
      this.windows.set(bucket, hits);
    }
    let expired = 0;
    while (expired < hits.length && (hits[expired] as LoggedHit).at <= from) expired++;
    if (expired > 0) {
      hits.splice(0, expired);
      this.sql.exec("DELETE FROM hits WHERE bucket = ? AND at <= ?", bucket, from);
    }
    return hits;
  }

  /** Logs a served hit in SQLite and in the bucket's window (read just before, so it is held). */
  private log(bucket: string, at: number, cost: number): number {
    const id = this.sql
      .exec<{ id: number }>(
        "INSERT INTO hits (bucket, at, cost) VALUES (?, ?, ?) RETURNING rowid AS id",
        bucket,
        at,
        cost,
      )
      .one().id;
    const hits = this.windows.get(bucket) as LoggedHit[];
    // The clock does not go back within an object, but keep the window sorted if it ever did.
    let i = hits.length;
    while (i > 0 && (hits[i - 1] as LoggedHit).at > at) i--;
    hits.splice(i, 0, { id, at, cost });
    return id;
  }

  /** Serves `cost` units when they fit the window, recording them; refuses (recording nothing) otherwise. */
  take(bucket: string, limit: WindowLimit, cost = 1): WindowDecision {
    const now = Date.now();
    const decision = decide(this.window(bucket, limit.windowMs, now), now, limit, cost);
    if (decision.allowed) this.log(bucket, now, cost);
    this.scheduleCleanup(limit.windowMs);
    return decision;
  }

  /**
   * Like `take`, and when the request fits, also grants up to `extra` more units (as many as the window
   * has left) for the caller to spend locally; all of it is charged to the window now, as one log entry.
   * `returned` first gives back what an earlier lease left unspent, so the log holds what was served.
   */
  lease(bucket: string, limit: WindowLimit, cost: number, extra: number, returned?: LeaseReturn): LeaseGrant {
    const now = Date.now();
    const hits = this.window(bucket, limit.windowMs, now);
    if (returned && returned.units > 0) {
      this.sql.exec(
        "UPDATE hits SET cost = max(0, cost - ?) WHERE rowid = ? AND bucket = ?",
        returned.units,
        returned.hitId,
        bucket,
      );
      const hit = hits.find((h) => h.id === returned.hitId);
      if (hit) hit.cost = Math.max(0, hit.cost - returned.units);
    }
    const decision = decide(hits, now, limit, cost);
    if (!decision.allowed) return { decision, hitId: 0, leased: 0 };
    const leased = Math.max(0, Math.min(extra, decision.remaining));
    const hitId = this.log(bucket, now, cost + leased);
    this.scheduleCleanup(limit.windowMs);
    return { decision, hitId, leased };
  }

  /** Whether `cost` units would fit now, recording nothing (login throttling checks before it verifies). */
  peek(bucket: string, limit: WindowLimit, cost = 1): WindowDecision {
    const now = Date.now();
    return decide(this.window(bucket, limit.windowMs, now), now, limit, cost);
  }

  /** Records `cost` units whether or not they fit (a failed login counts even past the limit). */
  record(bucket: string, limit: WindowLimit, cost = 1): WindowDecision {
    const now = Date.now();
    const hits = this.window(bucket, limit.windowMs, now);
    this.log(bucket, now, cost);
    this.scheduleCleanup(limit.windowMs);
    return decide(hits, now, limit, 0);
  }

  /** Forgets a bucket (a successful login clears its failures). */
  clear(bucket: string): void {
    this.sql.exec("DELETE FROM hits WHERE bucket = ?", bucket);
    this.windows.delete(bucket);
  }

  private scheduleCleanup(windowMs: number): void {
    // One alarm per object, after the longest window it has seen, drops what no window needs any more.
    if (this.alarmSet) return;
    this.alarmSet = true;
    void this.ctx.storage.getAlarm().then((at) => {
      if (at === null) return this.ctx.storage.setAlarm(Date.now() + windowMs + 1000);
    });
  }

  override async alarm(): Promise<void> {
    // No window is longer than an hour (queries); the login and ingest windows are shorter.
    // Held windows drop their own expired hits when next read; the rows go here.
    const oldestNeeded = Date.now() - 3600_000;
    this.sql.exec("DELETE FROM hits WHERE at <= ?", oldestNeeded);
    const left = this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM hits").one().n;
    this.alarmSet = left > 0;
    if (left > 0) await this.ctx.storage.setAlarm(Date.now() + 3600_000);
  }
}
