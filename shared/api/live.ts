// Shapes of the live routes: metrics, their windows, alerts and their history (README, "Live").
import { z } from "zod";
import { AlertConditionSchema } from "../live/alert-rule";
import { AggregateSchema, MetricFilterSchema, MetricNameSchema } from "../live/metric-def";
import { WindowSizeSchema } from "../live/window-size";

const isoOrEpoch = z
  .string()
  .refine((s) => !Number.isNaN(Date.parse(s)) || /^\d+$/.test(s), "must be an ISO-8601 time or epoch milliseconds")
  .transform((s) => (/^\d+$/.test(s) ? Number(s) : Date.parse(s)));

export const MetricSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    description: z.string().optional(),
    filter: MetricFilterSchema,
    windows: z.array(WindowSizeSchema),
    aggregates: z.array(AggregateSchema),
    group_by: z.array(z.string()),
    top_k: z.number().int(),
    builtin: z.boolean(),
    created_at: z.string().nullable(),
  })
  .meta({ id: "Metric" });

export const MetricList = z.object({ metrics: z.array(MetricSchema) }).meta({ id: "MetricList" });

export const MetricNameParam = z.object({ name: MetricNameSchema });

export const WindowsQuery = z.object({
  /** Defaults to the metric's first window size. */
  window: WindowSizeSchema.optional(),
  from: isoOrEpoch.optional(),
  to: isoOrEpoch.optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

const WindowRefSchema = z.object({ start: z.string(), end: z.string(), size: WindowSizeSchema });

export const WindowList = z
  .object({
    metric: z.string(),
    window: WindowSizeSchema,
    windows: z.array(z.object({ window: WindowRefSchema, data: z.record(z.string(), z.unknown()), rev: z.number() })),
  })
  .meta({ id: "WindowList" });

export const AlertSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    metric: z.string(),
    window: WindowSizeSchema,
    value: z.string(),
    condition: AlertConditionSchema,
    webhook_url: z.string().nullable(),
    created_at: z.string(),
  })
  .meta({ id: "Alert" });

export const AlertCreated = AlertSchema.extend({
  /** Signs webhook deliveries (X-Tarn-Signature); shown once. Null without a webhook. */
  webhook_secret: z.string().nullable(),
}).meta({ id: "AlertCreated" });

export const AlertList = z.object({ alerts: z.array(AlertSchema) }).meta({ id: "AlertList" });

export const AlertIdParam = z.object({ id: z.string().regex(/^alr_[0-9a-f]{20}$/, "must be an alert id") });

export const AlertHistory = z
  .object({
    events: z.array(
      z.object({
        id: z.string(),
        status: z.enum(["firing", "resolved"]),
        window: WindowRefSchema,
        value: z.number().nullable(),
        expected: z.number().nullable(),
        score: z.number().nullable(),
        reason: z.string(),
        fired_at: z.string(),
        delivery: z.enum(["none", "pending", "delivered", "failed"]),
        attempts: z.number().int(),
        last_error: z.string().nullable(),
        delivered_at: z.string().nullable(),
      }),
    ),
  })
  .meta({ id: "AlertHistory" });

export const HistoryQuery = z.object({ limit: z.coerce.number().int().min(1).max(1000).default(100) });

/** `GET /v1/live` query: the token (browsers cannot set headers on a WebSocket) and initial subscriptions. */
export const LiveQuery = z.object({
  token: z.string().max(512).optional(),
  /** Comma-separated `stream:window` pairs (or `alerts`), e.g. `events:1s,checkout:1m`; at most 8. */
  subscribe: z.string().max(1024).optional(),
});
