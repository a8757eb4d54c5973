// POST /v1/metrics/{name}/backfill: a live metric's windows get the lake's history of a range (jobs queue).
import { createRoute, z } from "@hono/zod-openapi";
import { overlappingBackfills } from "../../services/jobs/backfills";
import { createJob } from "../../services/jobs/create-job";
import { findMetric } from "../../services/live/metric-store";
import { BackfillBody } from "../../shared/api/views";
import { TarnError } from "../../shared/errors";
import { projectOf, requirePermission } from "../middleware/auth";
import { jsonBody } from "../middleware/json-body";
import { bearer, errorResponses, router } from "../openapi";

const json = <T extends z.ZodType>(schema: T) => ({ "application/json": { schema } });

const backfill = createRoute({
  method: "post",
  path: "/v1/metrics/{name}/backfill",
  tags: ["Live"],
  summary:
    "Replay the lake's events of [from, to) into a metric's windows, exactly once with live ingestion (admin). " +
    "Events committed before the metric was created come from the lake; later ones were counted live.",
  security: bearer,
  middleware: [requirePermission("manage"), jsonBody()] as const,
  request: {
    params: z.object({ name: z.string().min(1).max(64) }),
    body: { required: true, content: json(BackfillBody) },
  },
  responses: {
    202: { description: "Queued", content: json(z.object({ job_id: z.string() })) },
    ...errorResponses(400, 401, 403, 404, 409, 415, 503),
  },
});

export const backfillRoutes = router().openapi(backfill, async (c) => {
  const { projectId } = projectOf(c.get("principal"));
  const { name } = c.req.valid("param");
  const found = await findMetric(c.env.DB, projectId, name);
  if (!found) throw new TarnError("NOT_FOUND", `no metric "${name}" in this project`);
  if (!found.createdAt) {
    throw new TarnError(
      "VALIDATION_ERROR",
      "the built-in events stream counts every event live; it has nothing to backfill",
    );
  }
  const range = c.req.valid("json");
  const [from, to] = [Date.parse(range.from), Date.parse(range.to)];
  const overlapping = await overlappingBackfills(c.env.DB, projectId, found.metric.id, from, to);
  if (overlapping.length > 0) {
    throw new TarnError(
      "CONFLICT",
      "this range overlaps one already backfilled into the metric; it would count twice",
      {
        details: { jobs: overlapping.map((j) => j.id) },
      },
    );
  }
  const job = await createJob(c.env, projectId, "backfill", { metric: name, metric_id: found.metric.id, from, to });
  return c.json({ job_id: job.id }, 202);
});
