// D1 tables of the live path: metric definitions, alert rules, and the alert history with deliveries.
import { sql } from "drizzle-orm";
import { index, integer, real, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

const now = sql`(strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))`;

/** User-defined live metrics; the definition JSON is the zod-checked MetricDefinition. */
export const liveMetrics = sqliteTable(
  "live_metrics",
  {
    id: text("id").primaryKey(),
    projectId: text("project_id").notNull(),
    name: text("name").notNull(),
    definition: text("definition", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
    createdAt: text("created_at").notNull().default(now),
  },
  (t) => [uniqueIndex("live_metrics_project_name").on(t.projectId, t.name)],
);

/** Alert rules; the webhook secret signs deliveries and is shown once, at creation. */
export const liveAlerts = sqliteTable(
  "live_alerts",
  {
    id: text("id").primaryKey(),
    projectId: text("project_id").notNull(),
    name: text("name").notNull(),
    metric: text("metric").notNull(),
    window: text("window").notNull(),
    value: text("value").notNull(),
    condition: text("condition", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
    webhookUrl: text("webhook_url"),
    webhookSecret: text("webhook_secret"),
    createdAt: text("created_at").notNull().default(now),
  },
  (t) => [index("live_alerts_project_metric").on(t.projectId, t.metric)],
);

/** Every firing and resolution of an alert, with its webhook delivery state. */
export const liveAlertEvents = sqliteTable(
  "live_alert_events",
  {
    id: text("id").primaryKey(),
    projectId: text("project_id").notNull(),
    alertId: text("alert_id").notNull(),
    metric: text("metric").notNull(),
    status: text("status", { enum: ["firing", "resolved"] }).notNull(),
    windowSize: text("window_size").notNull(),
    windowStart: integer("window_start").notNull(),
    value: real("value"),
    expected: real("expected"),
    score: real("score"),
    reason: text("reason").notNull(),
    firedAt: text("fired_at").notNull().default(now),
    /** `none` (no webhook), `pending`, `delivered`, `failed`. */
    delivery: text("delivery", { enum: ["none", "pending", "delivered", "failed"] }).notNull(),
    attempts: integer("attempts").notNull().default(0),
    lastError: text("last_error"),
    deliveredAt: text("delivered_at"),
  },
  (t) => [
    uniqueIndex("live_alert_events_once").on(t.alertId, t.windowSize, t.windowStart, t.status),
    index("live_alert_events_project").on(t.projectId, t.firedAt),
  ],
);
