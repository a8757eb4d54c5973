// WindowShard: one project's windows of one live metric. SQLite is the truth; the alarm closes windows
// at the watermark, judges alert rules, and prunes; updates go to the project's root hub.
import { DurableObject } from "cloudflare:workers";
import type { AlertRule } from "../../shared/live/alert-rule";
import { readLiveConfig } from "../../shared/live/config";
import { subscriptionKey, type UpdateFrame } from "../../shared/live/frames";
import {
  type ApplyBatch,
  ApplyBatchSchema,
  type ApplyResult,
  type Published,
  type ShardWindow,
} from "../../shared/live/live-rpc";
import { type StoredMetric, StoredMetricSchema } from "../../shared/live/metric-def";
import type { WindowPartial } from "../../shared/live/partials";
import { renderStates, renderWindow } from "../../shared/live/render";
import { isBeyondRetention, type WindowSize, windowBounds } from "../../shared/live/window-size";
import { migrateSchema } from "../sqlite-schema";
import { HubPublisher } from "./hub-publisher";
import { WINDOW_SHARD_SCHEMA } from "./schema";
import { ShardAlerts } from "./shard-alerts";
import { type MergedWindow, type WindowRow, WindowStore } from "./window-store";

const PRUNE_EVERY_MS = 10 * 60_000;
/** Windows closed per alarm run; more are closed by an immediate next run. */
const CLOSE_BATCH = 500;

export class WindowShard extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private readonly store: WindowStore;
  private readonly alerts: ShardAlerts;
  private readonly hub: HubPublisher;
  private cachedDef: StoredMetric | null | undefined;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    migrateSchema(ctx.storage, WINDOW_SHARD_SCHEMA);
    this.store = new WindowStore(this.sql);
    this.alerts = new ShardAlerts(ctx.storage, env);
    this.hub = new HubPublisher(env, () => this.meta("project"));
  }

  /** Merges one consumer batch's partials; sends `update` frames, or `correction` for closed windows. */
  async apply(input: ApplyBatch, now = Date.now()): Promise<ApplyResult> {
    const batch = ApplyBatchSchema.parse(input);
    const result: ApplyResult = { applied: false, windows: 0, corrections: 0, tooLate: 0 };
    let merged: MergedWindow[] = [];
    this.ctx.storage.transactionSync(() => {
      const def = this.adopt(batch.project, batch.metric);
      if (!def || !this.store.markApplied(batch.commitId, now)) return;
      result.applied = true;
      const kept: WindowPartial[] = [];
      for (const w of batch.windows) {
        if (!def.windows.includes(w.size)) continue;
        if (isBeyondRetention(w.start, w.size, now)) {
          result.tooLate += w.groups.reduce((n, g) => n + g.state.count, 0);
          continue;
        }
        kept.push(w);
      }
      merged = this.store.mergeAll(kept, now - readLiveConfig(this.env).allowedLatenessMs);
      for (const m of merged) {
        result.windows += m.occurrences;
        if (m.correction) result.corrections += m.occurrences;
      }
    });
    const def = this.definition();
    if (merged.length === 0 || !def) return result;
    await this.scheduleAlarm(now);
    // Each touched window rendered once, from the states just merged (what SQLite now holds).
    const timestamp = new Date().toISOString();
    await this.hub.publish(
      merged.map((m) => ({
        keys: [subscriptionKey(def.name, m.size)],
        frame: {
          type: m.correction ? "correction" : "update",
          stream: def.name,
          window: windowBounds(m.start, m.size),
          data: renderStates(def, m.groups),
          final: m.closed === 1,
          rev: m.rev,
          timestamp,
        },
      })),
    );
    return result;
  }

  /** Sets this shard's metric (null deletes it: its windows go, and partials for it are refused). */
  async configure(project: string, metric: StoredMetric | null): Promise<void> {
    this.ctx.storage.transactionSync(() => {
      this.setMeta("project", project);
      if (metric) this.adopt(project, StoredMetricSchema.parse(metric));
      else {
        const old = this.definition();
        if (old) this.setMeta(`tomb:${old.id}`, "1");
        this.sql.exec("DELETE FROM meta WHERE k = 'def'");
        this.cachedDef = undefined;
        this.store.clear();
      }
    });
    if (!metric) await this.alerts.replace([], null);
  }

  /** Replaces the alert rules that watch this metric. */
  async setAlerts(project: string, metric: StoredMetric, rules: AlertRule[]): Promise<void> {
    this.ctx.storage.transactionSync(() => this.adopt(project, StoredMetricSchema.parse(metric)));
    await this.alerts.replace(rules, this.definition());
    await this.scheduleAlarm(Date.now());
  }

  /** The latest `n` windows of `size` (open and closed), oldest first; null when the metric has no such size. */
  recent(size: WindowSize, n: number): ShardWindow[] | null {
    const def = this.definition();
    if (!def?.windows.includes(size)) return null;
    return this.store.latest(size, n).map((r) => this.shardWindow(def, size, r));
  }

  /** Closed windows of `size` with `from` ≤ start < `to`, oldest first; null when the metric has no such size. */
  closedWindows(size: WindowSize, from: number, to: number, limit: number): ShardWindow[] | null {
    const def = this.definition();
    if (!def?.windows.includes(size)) return null;
    return this.store.closed(size, from, to, limit).map((r) => this.shardWindow(def, size, r));
  }

  override async alarm(): Promise<void> {
    await this.tick(Date.now());
  }

  /** Closes windows whose end has passed the watermark (now − allowed lateness), judges alerts, prunes. */
  async tick(now: number): Promise<void> {
    const def = this.definition();
    const project = this.meta("project");
    if (!def || !project) return;
    const watermark = now - readLiveConfig(this.env).allowedLatenessMs;
    const closed = this.ctx.storage.transactionSync(() => this.store.closeDue(watermark, CLOSE_BATCH));
    const frames: Published[] = closed.map((w) => this.published(def, w.size, w.start, "update"));
    frames.push(
      ...(await this.alerts.evaluate(def, project, watermark, (size, start) =>
        renderWindow(def, this.store.groups(size, start)),
      )),
    );
    if (now - Number(this.meta("pruned_at") ?? 0) >= PRUNE_EVERY_MS) {
      this.ctx.storage.transactionSync(() => {
        this.store.prune(now);
        this.setMeta("pruned_at", String(now));
      });
    }
    await this.scheduleAlarm(now, closed.length === CLOSE_BATCH);
    if (frames.length > 0) await this.hub.publish(frames);
  }

  // ---------------------------------------------------------------------------------------------

  /** Takes `metric` as this shard's definition unless it was deleted; a new id replaces old windows. */
  private adopt(project: string, metric: StoredMetric): StoredMetric | null {
    this.setMeta("project", project);
    const current = this.definition();
    if (current?.id === metric.id) return current;
    if (this.meta(`tomb:${metric.id}`)) return null;
    if (current) {
      this.setMeta(`tomb:${current.id}`, "1");
      this.store.clear();
    }
    this.setMeta("def", JSON.stringify(metric));
    this.cachedDef = metric;
    return metric;
  }

  private definition(): StoredMetric | null {
    if (this.cachedDef === undefined) {
      const raw = this.meta("def");
      this.cachedDef = raw ? StoredMetricSchema.parse(JSON.parse(raw)) : null;
    }
    return this.cachedDef;
  }

  private meta(k: string): string | null {
    return this.sql.exec<{ v: string }>("SELECT v FROM meta WHERE k = ?", k).toArray()[0]?.v ?? null;
  }

  private setMeta(k: string, v: string): void {
    this.sql.exec("INSERT INTO meta (k, v) VALUES (?, ?) ON CONFLICT (k) DO UPDATE SET v = excluded.v", k, v);
    if (k === "def") this.cachedDef = undefined;
  }

  private shardWindow(def: StoredMetric, size: WindowSize, r: WindowRow): ShardWindow {
    return {
      window: windowBounds(r.start, size),
      data: renderWindow(def, this.store.groups(size, r.start)),
      final: r.closed === 1,
      rev: r.rev,
    };
  }

  private published(def: StoredMetric, size: WindowSize, start: number, type: UpdateFrame["type"]): Published {
    const frame: UpdateFrame = {
      type,
      stream: def.name,
      ...this.shardWindow(def, size, this.store.row(size, start)),
      timestamp: new Date().toISOString(),
    };
    return { keys: [subscriptionKey(def.name, size)], frame };
  }

  /** One alarm: the earliest close of an open window, an alert tick, or the next prune. */
  private async scheduleAlarm(now: number, immediately = false): Promise<void> {
    const lateness = readLiveConfig(this.env).allowedLatenessMs;
    const open = this.store.earliestOpenEnd();
    const candidates: number[] = [];
    if (immediately) candidates.push(now);
    if (open !== null) candidates.push(open + lateness);
    const tick = this.alerts.nextTick(lateness);
    if (tick !== null) candidates.push(tick);
    if (!this.store.isEmpty()) candidates.push(Number(this.meta("pruned_at") ?? now) + PRUNE_EVERY_MS);
    if (candidates.length === 0) return;
    const next = Math.max(now, Math.min(...candidates));
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > next) await this.ctx.storage.setAlarm(next);
  }
}
