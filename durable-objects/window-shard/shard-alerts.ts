// The alert rules a WindowShard runs when its windows close: state in the shard's SQLite, an outbox
// for history rows (D1) and webhooks (queue), so an alarm that fails half-way repeats, never loses.

import { drizzle } from "drizzle-orm/d1";
import { z } from "zod";
import { liveAlertEvents } from "../../shared/db/live";
import { newId } from "../../shared/ids";
import { AlertCreateSchema, type AlertRule, judge, type RuleState, readValue } from "../../shared/live/alert-rule";
import { EWMA_START } from "../../shared/live/anomaly";
import { type AlertFrame, subscriptionKey } from "../../shared/live/frames";
import type { WebhookMessage } from "../../shared/live/live-rpc";
import type { StoredMetric } from "../../shared/live/metric-def";
import type { WindowData } from "../../shared/live/render";
import { WINDOW_MS, type WindowSize, windowBounds, windowStart } from "../../shared/live/window-size";

const RuleSchema = AlertCreateSchema.extend({ id: z.string() });
const StateSchema = z.object({
  firing: z.boolean(),
  history: z.array(z.number()),
  ewma: z.object({ mean: z.number(), variance: z.number(), n: z.number() }),
});
/** What the outbox holds for one alert event until D1 and the queue have it. */
const OutboxSchema = z.object({
  id: z.string(),
  project: z.string(),
  alert: RuleSchema,
  status: z.enum(["firing", "resolved"]),
  size: z.string(),
  start: z.number(),
  value: z.number().nullable(),
  expected: z.number().nullable(),
  score: z.number().nullable(),
  reason: z.string(),
});
type Outbox = z.infer<typeof OutboxSchema>;

/** A window not judged after this many windows is skipped: no one wants a thousand stale alerts. */
const MAX_CATCH_UP = 100;

const finite = (n: number | null) => (n === null || Number.isFinite(n) ? n : null);

export class ShardAlerts {
  private readonly sql: SqlStorage;

  constructor(
    private readonly storage: DurableObjectStorage,
    private readonly env: Env,
  ) {
    this.sql = storage.sql;
  }

  /** Replaces the rules; a kept rule keeps its state, a new one starts with the window open now. */
  async replace(rules: AlertRule[], def: StoredMetric | null): Promise<void> {
    const now = Date.now();
    this.storage.transactionSync(() => {
      const keep = new Set(rules.map((r) => r.id));
      for (const { id } of this.sql.exec<{ id: string }>("SELECT id FROM alert_rules").toArray())
        if (!keep.has(id) || !def) this.sql.exec("DELETE FROM alert_rules WHERE id = ?", id);
      if (!def) return;
      for (const r of rules) {
        const rule = RuleSchema.parse(r);
        const fresh: RuleState = { firing: false, history: [], ewma: EWMA_START };
        this.sql.exec(
          `INSERT INTO alert_rules (id, rule, state, last_start) VALUES (?, ?, ?, ?)
           ON CONFLICT (id) DO UPDATE SET rule = excluded.rule`,
          rule.id,
          JSON.stringify(rule),
          JSON.stringify(fresh),
          windowStart(now, rule.window) - WINDOW_MS[rule.window],
        );
      }
    });
  }

  /** When the next window a rule judges is due (its end plus the lateness), or null without rules. */
  nextTick(lateness: number): number | null {
    const rows = this.sql
      .exec<{ rule: string; last_start: number }>("SELECT rule, last_start FROM alert_rules")
      .toArray();
    let next: number | null = null;
    for (const r of rows) {
      const size = RuleSchema.parse(JSON.parse(r.rule)).window;
      const due = r.last_start + 2 * WINDOW_MS[size] + lateness;
      next = next === null ? due : Math.min(next, due);
    }
    if (this.sql.exec("SELECT 1 FROM alert_outbox LIMIT 1").toArray().length > 0)
      next = Math.min(next ?? Number.POSITIVE_INFINITY, Date.now() + 5_000);
    return next;
  }

  /**
   * Judges every window each rule has not judged whose end is at or before `watermark`; returns
   * the alert frames to send. Transitions (ok → firing → resolved) become history rows and webhooks.
   */
  async evaluate(
    def: StoredMetric,
    project: string,
    watermark: number,
    render: (size: WindowSize, start: number) => WindowData,
  ): Promise<{ keys: string[]; frame: AlertFrame }[]> {
    const rows = this.sql
      .exec<{ id: string; rule: string; state: string; last_start: number }>("SELECT * FROM alert_rules")
      .toArray();
    this.storage.transactionSync(() => {
      for (const row of rows) {
        const rule = RuleSchema.parse(JSON.parse(row.rule));
        const size = rule.window;
        const ms = WINDOW_MS[size];
        let state: RuleState = StateSchema.parse(JSON.parse(row.state));
        let start = Math.max(row.last_start + ms, windowStart(watermark, size) - MAX_CATCH_UP * ms);
        let last = row.last_start;
        for (; start + ms <= watermark; start += ms) {
          last = start;
          const value = readValue(render(size, start), rule.value);
          if (value === null) continue;
          const { verdict, next } = judge(rule.condition, state, value);
          const status =
            !state.firing && verdict.breach ? "firing" : state.firing && !verdict.breach ? "resolved" : null;
          state = { ...next, firing: verdict.breach };
          if (!status) continue;
          const event: Outbox = {
            id: newId("ale"),
            project,
            alert: rule,
            status,
            size,
            start,
            value,
            expected: finite(verdict.expected),
            score: finite(verdict.score),
            reason: verdict.reason,
          };
          this.sql.exec("INSERT INTO alert_outbox (id, event) VALUES (?, ?)", event.id, JSON.stringify(event));
        }
        this.sql.exec(
          "UPDATE alert_rules SET state = ?, last_start = ? WHERE id = ?",
          JSON.stringify(state),
          last,
          row.id,
        );
      }
    });
    return this.flush(def);
  }

  /** Writes pending alert events to D1 and the webhook queue; each leaves the outbox once both took it. */
  private async flush(def: StoredMetric): Promise<{ keys: string[]; frame: AlertFrame }[]> {
    const pending = this.sql
      .exec<{ event: string }>("SELECT event FROM alert_outbox ORDER BY id LIMIT 100")
      .toArray()
      .map((r) => OutboxSchema.parse(JSON.parse(r.event)));
    const frames: { keys: string[]; frame: AlertFrame }[] = [];
    for (const e of pending) {
      try {
        const webhook = Boolean(e.alert.webhook_url);
        await drizzle(this.env.DB)
          .insert(liveAlertEvents)
          .values({
            id: e.id,
            projectId: e.project,
            alertId: e.alert.id,
            metric: e.alert.metric,
            status: e.status,
            windowSize: e.size,
            windowStart: e.start,
            value: e.value,
            expected: e.expected,
            score: e.score,
            reason: e.reason,
            delivery: webhook ? "pending" : "none",
          })
          .onConflictDoNothing()
          .run();
        if (webhook)
          await this.env.WEBHOOKS_QUEUE.send({ v: 1, event_id: e.id, project: e.project } satisfies WebhookMessage);
        this.sql.exec("DELETE FROM alert_outbox WHERE id = ?", e.id);
      } catch (err) {
        console.error(
          JSON.stringify({ level: "error", msg: "alert event not yet recorded", id: e.id, error: String(err) }),
        );
        continue;
      }
      const size = e.size as WindowSize;
      frames.push({
        keys: ["alerts", subscriptionKey(def.name, size)],
        frame: {
          type: "alert",
          alert: {
            id: e.alert.id,
            name: e.alert.name,
            metric: e.alert.metric,
            status: e.status,
            window: windowBounds(e.start, size),
            value: e.value,
            reason: e.reason,
            event_id: e.id,
          },
          timestamp: new Date().toISOString(),
        },
      });
    }
    return frames;
  }
}
