// RateLimiter: one object per principal (or per project for ingest, per email for logins) keeping exact
// sliding windows in SQLite; the object serializes its calls, so counting is exact across isolates.
import { DurableObject } from "cloudflare:workers";
import type { LeaseGrant, LeaseReturn } from "../../shared/access/ingest-lease";
import { decide, type WindowDecision, type WindowHit, type WindowLimit } from "../../shared/access/sliding-window";
import { migrateSchema } from "../sqlite-schema";
import { RATE_LIMITER_SCHEMA } from "./schema";

export class RateLimiter extends DurableObject<Env> {
  private readonly sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    migrateSchema(ctx.storage, RATE_LIMITER_SCHEMA);
  }

  private window(bucket: string, windowMs: number, now: number): WindowHit[] {
    this.sql.exec("DELETE FROM hits WHERE bucket = ? AND at <= ?", bucket, now - windowMs);
    return this.sql
      .exec<{ at: number; cost: number }>("SELECT at, cost FROM hits WHERE bucket = ? ORDER BY at", bucket)
      .toArray();
  }

  /** Serves `cost` units when they fit the window, recording them; refuses (recording nothing) otherwise. */
  take(bucket: string, limit: WindowLimit, cost = 1): WindowDecision {
    const now = Date.now();
    const decision = decide(this.window(bucket, limit.windowMs, now), now, limit, cost);
    if (decision.allowed) this.sql.exec("INSERT INTO hits (bucket, at, cost) VALUES (?, ?, ?)", bucket, now, cost);
    this.scheduleCleanup(limit.windowMs);
    return decision;
  }

  /**
   * Like `take`, and when the request fits, also grants up to `extra` more units (as many as the window
   * has left) for the caller to spend locally; all of it is charged to the window now, as one log entry.
   * `returned` first gives back what an earlier lease left unspent, so the log holds what was served.
   */
  lease(bucket: string, limit: WindowLimit, cost: number, extra: number, returned?: LeaseReturn): LeaseGrant {
    if (returned && returned.units > 0)
      this.sql.exec(
        "UPDATE hits SET cost = max(0, cost - ?) WHERE rowid = ? AND bucket = ?",
        returned.units,
        returned.hitId,
        bucket,
      );
    const now = Date.now();
    const decision = decide(this.window(bucket, limit.windowMs, now), now, limit, cost);
    if (!decision.allowed) return { decision, hitId: 0, leased: 0 };
    const leased = Math.max(0, Math.min(extra, decision.remaining));
    const hitId = this.sql
      .exec<{ id: number }>(
        "INSERT INTO hits (bucket, at, cost) VALUES (?, ?, ?) RETURNING rowid AS id",
        bucket,
        now,
        cost + leased,
      )
      .one().id;
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
    this.sql.exec("INSERT INTO hits (bucket, at, cost) VALUES (?, ?, ?)", bucket, now, cost);
    this.scheduleCleanup(limit.windowMs);
    return decide(this.window(bucket, limit.windowMs, now), now, limit, 0);
  }

  /** Forgets a bucket (a successful login clears its failures). */
  clear(bucket: string): void {
    this.sql.exec("DELETE FROM hits WHERE bucket = ?", bucket);
  }

  private scheduleCleanup(windowMs: number): void {
    // One alarm per object, after the longest window it has seen, drops what no window needs any more.
    void this.ctx.storage.getAlarm().then((at) => {
      if (at === null) return this.ctx.storage.setAlarm(Date.now() + windowMs + 1000);
    });
  }

  override async alarm(): Promise<void> {
    // No window is longer than an hour (queries); the login and ingest windows are shorter.
    const oldestNeeded = Date.now() - 3600_000;
    this.sql.exec("DELETE FROM hits WHERE at <= ?", oldestNeeded);
    const left = this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM hits").one().n;
    if (left > 0) await this.ctx.storage.setAlarm(Date.now() + 3600_000);
  }
}
