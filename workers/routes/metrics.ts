// /v1/metrics: user-defined live metrics (admin defines, query reads) and their closed windows.

import { createRoute } from "@hono/zod-openapi";
import { and, asc, eq } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { refuseLiveWhenFiltered } from "../../services/access/policies";
import { findMetric, metricOut } from "../../services/live/metric-store";
import { privacyPolicy } from "../../services/privacy/masking";
import { windowStub } from "../../services/stubs/window-shard";
import { MetricList, MetricNameParam, MetricSchema, WindowList, WindowsQuery } from "../../shared/api/live";
import { liveAlerts, liveMetrics } from "../../shared/db/live";
import { TarnError } from "../../shared/errors";
import { newId } from "../../shared/ids";
import { EVENTS_METRIC, MetricDefinitionSchema, type StoredMetric } from "../../shared/live/metric-def";
import { sensitiveFieldPath } from "../../shared/privacy/policy";
import { projectOf, requirePermission } from "../middleware/auth";
import { jsonBody } from "../middleware/json-body";
import { bearer, errorResponses, router } from "../openapi";

const tags = ["Live"];
/** Metrics per project: each is a Durable Object every consumer batch of the project calls. */
export const MAX_METRICS_PER_PROJECT = 50;

const create = createRoute({
  method: "post",
  path: "/v1/metrics",
  tags,
  summary: "Define a live metric (admin)",
  security: bearer,
  middleware: [requirePermission("write"), jsonBody()] as const,
  request: { body: { required: true, content: { "application/json": { schema: MetricDefinitionSchema } } } },
  responses: {
    201: {
      description: "Defined; counting starts with the next batch",
      content: { "application/json": { schema: MetricSchema } },
    },
    ...errorResponses(400, 401, 403, 409, 415),
  },
});

const list = createRoute({
  method: "get",
  path: "/v1/metrics",
  tags,
  summary: "The project's metrics, the built-in events stream first (query)",
  security: bearer,
  middleware: [requirePermission("read")] as const,
  responses: {
    200: { description: "The metrics", content: { "application/json": { schema: MetricList } } },
    ...errorResponses(401, 403),
  },
});

const get = createRoute({
  method: "get",
  path: "/v1/metrics/{name}",
  tags,
  summary: "One metric (query)",
  security: bearer,
  middleware: [requirePermission("read")] as const,
  request: { params: MetricNameParam },
  responses: {
    200: { description: "The metric", content: { "application/json": { schema: MetricSchema } } },
    ...errorResponses(400, 401, 403, 404),
  },
});

const remove = createRoute({
  method: "delete",
  path: "/v1/metrics/{name}",
  tags,
  summary: "Delete a metric, its windows and its alerts (admin)",
  security: bearer,
  middleware: [requirePermission("write")] as const,
  request: { params: MetricNameParam },
  responses: { 204: { description: "Deleted" }, ...errorResponses(400, 401, 403, 404) },
});

const windows = createRoute({
  method: "get",
  path: "/v1/metrics/{name}/windows",
  tags,
  summary: "Closed windows of a metric (or of `events`), oldest first (query)",
  description: "`from`/`to` (ISO-8601 or epoch ms) bound window starts; the default is the last hour.",
  security: bearer,
  middleware: [requirePermission("read")] as const,
  request: { params: MetricNameParam, query: WindowsQuery },
  responses: {
    200: { description: "The windows", content: { "application/json": { schema: WindowList } } },
    ...errorResponses(400, 401, 403, 404),
  },
});

export const metricRoutes = router()
  .openapi(create, async (c) => {
    const { projectId } = projectOf(c.get("principal"));
    const def = c.req.valid("json");
    // Frames go to every reader, masked or not: a metric may not read a sensitive field (README, "Privacy").
    const policy = await privacyPolicy(c.env.DB, projectId, false);
    const fields = [
      ...(def.filter.where ?? []).map((w) => w.field),
      ...def.group_by,
      ...def.aggregates.flatMap((a) => ("field" in a ? [a.field] : [])),
    ];
    const sensitive = fields.filter((f) => sensitiveFieldPath(policy, def.filter.event_types ?? null, f));
    if (sensitive.length > 0)
      throw new TarnError(
        "VALIDATION_ERROR",
        `a live metric cannot read masked fields (${[...new Set(sensitive)].join(", ")}): its frames reach every reader`,
        { details: { fields: [...new Set(sensitive)] } },
      );
    const db = drizzle(c.env.DB);
    const existing = await db
      .select({ name: liveMetrics.name })
      .from(liveMetrics)
      .where(eq(liveMetrics.projectId, projectId))
      .all();
    if (existing.some((m) => m.name === def.name))
      throw new TarnError("CONFLICT", `a metric named ${def.name} exists; delete it first`);
    if (existing.length >= MAX_METRICS_PER_PROJECT)
      throw new TarnError("CONFLICT", `a project has at most ${MAX_METRICS_PER_PROJECT} metrics`);
    const stored: StoredMetric = { ...def, id: newId("met") };
    // The shard first: a batch that sees the D1 row finds its shard ready (a shard also adopts the
    // definition from the first batch, so the order is belt and braces).
    await windowStub(c.env, projectId, def.name).configure(projectId, stored);
    const { id, name, ...definition } = stored;
    try {
      const row = await db.insert(liveMetrics).values({ id, projectId, name, definition }).returning().get();
      return c.json(metricOut(stored, row.createdAt), 201);
    } catch (err) {
      // A concurrent create won the name: its shard adopts the winner's definition from the next batch.
      if (String(err).includes("UNIQUE")) throw new TarnError("CONFLICT", `a metric named ${def.name} exists`);
      await windowStub(c.env, projectId, def.name).configure(projectId, null);
      throw err;
    }
  })
  .openapi(list, async (c) => {
    const { projectId } = projectOf(c.get("principal"));
    const rows = await drizzle(c.env.DB)
      .select()
      .from(liveMetrics)
      .where(eq(liveMetrics.projectId, projectId))
      .orderBy(asc(liveMetrics.name))
      .all();
    const metrics = [metricOut(EVENTS_METRIC, null)];
    for (const r of rows) {
      const found = await findMetric(c.env.DB, projectId, r.name, r);
      if (found) metrics.push(metricOut(found.metric, found.createdAt));
    }
    return c.json({ metrics }, 200);
  })
  .openapi(get, async (c) => {
    const { projectId } = projectOf(c.get("principal"));
    const { name } = c.req.valid("param");
    const found = await findMetric(c.env.DB, projectId, name);
    if (!found) throw new TarnError("NOT_FOUND", `no metric ${name} in this project`);
    return c.json(metricOut(found.metric, found.createdAt), 200);
  })
  .openapi(remove, async (c) => {
    const { projectId } = projectOf(c.get("principal"));
    const { name } = c.req.valid("param");
    if (name === EVENTS_METRIC.name)
      throw new TarnError("VALIDATION_ERROR", "the built-in events stream cannot be deleted");
    const db = drizzle(c.env.DB);
    const found = await findMetric(c.env.DB, projectId, name);
    if (!found) throw new TarnError("NOT_FOUND", `no metric ${name} in this project`);
    await db.batch([
      db.delete(liveAlerts).where(and(eq(liveAlerts.projectId, projectId), eq(liveAlerts.metric, name))),
      db.delete(liveMetrics).where(and(eq(liveMetrics.projectId, projectId), eq(liveMetrics.name, name))),
    ]);
    await windowStub(c.env, projectId, name).configure(projectId, null);
    return c.body(null, 204);
  })
  .openapi(windows, async (c) => {
    const principal = projectOf(c.get("principal"));
    const { projectId } = principal;
    await refuseLiveWhenFiltered(c.env, principal);
    const { name } = c.req.valid("param");
    const q = c.req.valid("query");
    const found = await findMetric(c.env.DB, projectId, name);
    if (!found) throw new TarnError("NOT_FOUND", `no metric ${name} in this project`);
    const size = q.window ?? found.metric.windows[0];
    if (!size || !found.metric.windows.includes(size))
      throw new TarnError("VALIDATION_ERROR", `window: ${name} has ${found.metric.windows.join(", ")} windows`, {
        details: { field: "window" },
      });
    const to = q.to ?? Date.now();
    const from = q.from ?? to - 3_600_000;
    const shard = windowStub(c.env, projectId, name);
    if (found.metric.id !== EVENTS_METRIC.id) await shard.configure(projectId, found.metric);
    const rows = (await shard.closedWindows(size, from, to, q.limit)) ?? [];
    return c.json(
      {
        metric: name,
        window: size,
        windows: rows.map((w) => ({
          window: w.window,
          data: w.data as unknown as Record<string, unknown>,
          rev: w.rev,
        })),
      },
      200,
    );
  });
