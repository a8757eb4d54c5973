// /v1/alerts: threshold and anomaly alerts on live metrics, their history, and signed webhooks.
import { createRoute } from "@hono/zod-openapi";
import { and, asc, desc, eq, notLike } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { findMetric } from "../../services/live/metric-store";
import { windowStub } from "../../services/stubs/window-shard";
import { AlertCreated, AlertHistory, AlertIdParam, AlertList, HistoryQuery } from "../../shared/api/live";
import { liveAlertEvents, liveAlerts } from "../../shared/db/live";
import { TarnError } from "../../shared/errors";
import { newId } from "../../shared/ids";
import {
  AlertConditionSchema,
  AlertCreateSchema,
  type AlertRule,
  valuePathProblem,
} from "../../shared/live/alert-rule";
import { newWebhookSecret } from "../../shared/live/webhook-signature";
import { WINDOW_MS, WindowSizeSchema } from "../../shared/live/window-size";
import { projectOf, requirePermission } from "../middleware/auth";
import { jsonBody } from "../middleware/json-body";
import { bearer, errorResponses, router } from "../openapi";

const tags = ["Live"];
export const MAX_ALERTS_PER_PROJECT = 100;

const create = createRoute({
  method: "post",
  path: "/v1/alerts",
  tags,
  summary: "Create an alert on a metric's windows (admin)",
  description:
    "Conditions: `threshold` (op and value), `zscore` (σ over trailing closed windows, 3 by default) or `ewma`. " +
    "Rules are judged when a window closes. With `webhook_url`, each firing and resolution is POSTed, signed " +
    "with `X-Tarn-Signature: t=<unix>,v1=<hex HMAC-SHA256 of t.body>` using `webhook_secret` (shown once).",
  security: bearer,
  middleware: [requirePermission("write"), jsonBody()] as const,
  request: { body: { required: true, content: { "application/json": { schema: AlertCreateSchema } } } },
  responses: {
    201: { description: "Created", content: { "application/json": { schema: AlertCreated } } },
    ...errorResponses(400, 401, 403, 404, 409, 415),
  },
});

const list = createRoute({
  method: "get",
  path: "/v1/alerts",
  tags,
  summary: "The project's alerts (query)",
  security: bearer,
  middleware: [requirePermission("read")] as const,
  responses: {
    200: { description: "The alerts", content: { "application/json": { schema: AlertList } } },
    ...errorResponses(401, 403),
  },
});

const remove = createRoute({
  method: "delete",
  path: "/v1/alerts/{id}",
  tags,
  summary: "Delete an alert (admin); its history stays",
  security: bearer,
  middleware: [requirePermission("write")] as const,
  request: { params: AlertIdParam },
  responses: { 204: { description: "Deleted" }, ...errorResponses(400, 401, 403, 404) },
});

const history = createRoute({
  method: "get",
  path: "/v1/alerts/{id}/history",
  tags,
  summary: "An alert's firings and resolutions with webhook delivery state, newest first (query)",
  security: bearer,
  middleware: [requirePermission("read")] as const,
  request: { params: AlertIdParam, query: HistoryQuery },
  responses: {
    200: { description: "The history", content: { "application/json": { schema: AlertHistory } } },
    ...errorResponses(400, 401, 403, 404),
  },
});

type AlertRow = typeof liveAlerts.$inferSelect;

function toRule(r: AlertRow): AlertRule {
  return {
    id: r.id,
    name: r.name,
    metric: r.metric,
    window: WindowSizeSchema.parse(r.window),
    value: r.value,
    condition: AlertConditionSchema.parse(r.condition),
    ...(r.webhookUrl ? { webhook_url: r.webhookUrl } : {}),
  };
}

function alertOut(r: AlertRow) {
  const rule = toRule(r);
  return { ...rule, webhook_url: r.webhookUrl, created_at: r.createdAt };
}

/** Gives the metric's shard the full, current list of its rules (D1 is the source). */
async function syncShard(env: Env, projectId: string, metricName: string): Promise<void> {
  const found = await findMetric(env.DB, projectId, metricName);
  if (!found) return;
  const rows = await drizzle(env.DB)
    .select()
    .from(liveAlerts)
    .where(and(eq(liveAlerts.projectId, projectId), eq(liveAlerts.metric, metricName)))
    .all();
  await windowStub(env, projectId, metricName).setAlerts(projectId, found.metric, rows.map(toRule));
}

export const alertRoutes = router()
  .openapi(create, async (c) => {
    const { projectId } = projectOf(c.get("principal"));
    const body = c.req.valid("json");
    const found = await findMetric(c.env.DB, projectId, body.metric);
    if (!found)
      throw new TarnError("NOT_FOUND", `no metric ${body.metric} in this project`, { details: { field: "metric" } });
    if (!found.metric.windows.includes(body.window))
      throw new TarnError("VALIDATION_ERROR", `window: ${body.metric} has ${found.metric.windows.join(", ")} windows`, {
        details: { field: "window" },
      });
    const problem = valuePathProblem(found.metric, body.value);
    if (problem) throw new TarnError("VALIDATION_ERROR", `value: ${problem}`, { details: { field: "value" } });
    const db = drizzle(c.env.DB);
    const count = (
      await db.select({ id: liveAlerts.id }).from(liveAlerts).where(eq(liveAlerts.projectId, projectId)).all()
    ).length;
    if (count >= MAX_ALERTS_PER_PROJECT)
      throw new TarnError("CONFLICT", `a project has at most ${MAX_ALERTS_PER_PROJECT} alerts`);
    const secret = body.webhook_url ? newWebhookSecret() : null;
    const row = await db
      .insert(liveAlerts)
      .values({
        id: newId("alr"),
        projectId,
        name: body.name,
        metric: body.metric,
        window: body.window,
        value: body.value,
        condition: body.condition,
        webhookUrl: body.webhook_url ?? null,
        webhookSecret: secret,
      })
      .returning()
      .get();
    await syncShard(c.env, projectId, body.metric);
    return c.json({ ...alertOut(row), webhook_secret: secret }, 201);
  })
  .openapi(list, async (c) => {
    const { projectId } = projectOf(c.get("principal"));
    const rows = await drizzle(c.env.DB)
      .select()
      .from(liveAlerts)
      .where(eq(liveAlerts.projectId, projectId))
      .orderBy(asc(liveAlerts.createdAt), asc(liveAlerts.id))
      .all();
    return c.json({ alerts: rows.map(alertOut) }, 200);
  })
  .openapi(remove, async (c) => {
    const { projectId } = projectOf(c.get("principal"));
    const { id } = c.req.valid("param");
    const row = await drizzle(c.env.DB)
      .delete(liveAlerts)
      .where(and(eq(liveAlerts.id, id), eq(liveAlerts.projectId, projectId)))
      .returning()
      .get();
    if (!row) throw new TarnError("NOT_FOUND", `no alert ${id} in this project`);
    await syncShard(c.env, projectId, row.metric);
    return c.body(null, 204);
  })
  .openapi(history, async (c) => {
    const { projectId } = projectOf(c.get("principal"));
    const { id } = c.req.valid("param");
    const { limit } = c.req.valid("query");
    const db = drizzle(c.env.DB);
    const alert = await db
      .select({ id: liveAlerts.id })
      .from(liveAlerts)
      .where(and(eq(liveAlerts.id, id), eq(liveAlerts.projectId, projectId)))
      .get();
    const rows = await db
      .select()
      .from(liveAlertEvents)
      .where(
        and(
          eq(liveAlertEvents.alertId, id),
          eq(liveAlertEvents.projectId, projectId),
          // Quality events (failed expectations) only borrow the alert's webhook; their history is
          // GET /v1/datasets/{name}/quality.
          notLike(liveAlertEvents.metric, "quality:%"),
        ),
      )
      .orderBy(desc(liveAlertEvents.firedAt), desc(liveAlertEvents.id))
      .limit(limit)
      .all();
    if (!alert && rows.length === 0) throw new TarnError("NOT_FOUND", `no alert ${id} in this project`);
    return c.json(
      {
        events: rows.map((r) => {
          const size = WindowSizeSchema.parse(r.windowSize);
          return {
            id: r.id,
            status: r.status,
            window: {
              start: new Date(r.windowStart).toISOString(),
              end: new Date(r.windowStart + WINDOW_MS[size]).toISOString(),
              size,
            },
            value: r.value,
            expected: r.expected,
            score: r.score,
            reason: r.reason,
            fired_at: r.firedAt,
            delivery: r.delivery,
            attempts: r.attempts,
            last_error: r.lastError,
            delivered_at: r.deliveredAt,
          };
        }),
      },
      200,
    );
  });
