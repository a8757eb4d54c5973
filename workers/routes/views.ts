// Materialized views: define (PUT), list, read, delete, refresh now. The work is in services/views.
import { createRoute, z } from "@hono/zod-openapi";
import { createJob } from "../../services/jobs/create-job";
import { defineView, removeView } from "../../services/views/define";
import { describeView } from "../../services/views/describe";
import { getView, listViews } from "../../services/views/store";
import { ViewDetailSchema, ViewSaved, ViewSchema } from "../../shared/api/views";
import { TarnError } from "../../shared/errors";
import { ViewBody, ViewNameSchema } from "../../shared/views/definition";
import { projectOf, requirePermission } from "../middleware/auth";
import { jsonBody } from "../middleware/json-body";
import { bearer, errorResponses, router } from "../openapi";

const tags = ["Views"];
const json = <T extends z.ZodType>(schema: T) => ({ "application/json": { schema } });
const params = z.object({ name: ViewNameSchema });

const put = createRoute({
  method: "put",
  path: "/v1/views/{name}",
  tags,
  summary: "Define or change a materialized view: a SELECT kept as a gold dataset of that name (analyst)",
  security: bearer,
  middleware: [requirePermission("write"), jsonBody()] as const,
  request: { params, body: { required: true, content: json(ViewBody) } },
  responses: {
    201: { description: "Created; its first build is queued", content: json(ViewSaved) },
    200: { description: "Changed (a changed SELECT is rebuilt)", content: json(ViewSaved) },
    ...errorResponses(400, 401, 403, 409, 415, 503),
  },
});

const list = createRoute({
  method: "get",
  path: "/v1/views",
  tags,
  summary: "The project's views with their last run and freshness (query)",
  security: bearer,
  middleware: [requirePermission("read")] as const,
  responses: {
    200: { description: "Views", content: json(z.object({ views: z.array(ViewSchema) })) },
    ...errorResponses(401, 403),
  },
});

const get = createRoute({
  method: "get",
  path: "/v1/views/{name}",
  tags,
  summary: "One view: definition, size, freshness, next run and recent runs (query)",
  security: bearer,
  middleware: [requirePermission("read")] as const,
  request: { params, query: z.object({ runs: z.coerce.number().int().min(1).max(100).default(10) }) },
  responses: {
    200: { description: "The view", content: json(ViewDetailSchema) },
    ...errorResponses(400, 401, 403, 404),
  },
});

const remove = createRoute({
  method: "delete",
  path: "/v1/views/{name}",
  tags,
  summary: "Delete a view no other view reads; its dataset leaves the tables (analyst)",
  security: bearer,
  middleware: [requirePermission("write")] as const,
  request: { params },
  responses: { 204: { description: "Deleted" }, ...errorResponses(400, 401, 403, 404, 409) },
});

const refresh = createRoute({
  method: "post",
  path: "/v1/views/{name}/refresh",
  tags,
  summary: "Refresh a view now, on the jobs queue (analyst)",
  security: bearer,
  middleware: [requirePermission("write")] as const,
  request: { params },
  responses: {
    202: { description: "Queued", content: json(z.object({ job_id: z.string() })) },
    ...errorResponses(400, 401, 403, 404, 503),
  },
});

async function viewOr404(db: D1Database, projectId: string, name: string) {
  const view = await getView(db, projectId, name);
  if (!view) throw new TarnError("NOT_FOUND", `no view "${name}" in this project`);
  return view;
}

export const viewRoutes = router()
  .openapi(put, async (c) => {
    const { projectId } = projectOf(c.get("principal"));
    const { name } = c.req.valid("param");
    const saved = await defineView(c.env, projectId, name, c.req.valid("json"));
    const { runs: _, ...out } = await describeView(c.env.DB, saved.view);
    return c.json({ ...out, job_id: saved.jobId }, saved.created ? 201 : 200);
  })
  .openapi(list, async (c) => {
    const { projectId } = projectOf(c.get("principal"));
    const all = await listViews(c.env.DB, projectId);
    const out = await Promise.all(all.map((v) => describeView(c.env.DB, v).then(({ runs: _, ...rest }) => rest)));
    return c.json({ views: out }, 200);
  })
  .openapi(get, async (c) => {
    const { projectId } = projectOf(c.get("principal"));
    const view = await viewOr404(c.env.DB, projectId, c.req.valid("param").name);
    return c.json(await describeView(c.env.DB, view, c.req.valid("query").runs), 200);
  })
  .openapi(remove, async (c) => {
    const { projectId } = projectOf(c.get("principal"));
    await removeView(c.env, projectId, c.req.valid("param").name);
    return c.body(null, 204);
  })
  .openapi(refresh, async (c) => {
    const { projectId } = projectOf(c.get("principal"));
    const { name } = c.req.valid("param");
    await viewOr404(c.env.DB, projectId, name);
    const job = await createJob(c.env, projectId, "view", { view: name });
    return c.json({ job_id: job.id }, 202);
  });
