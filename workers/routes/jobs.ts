// Batch-path routes: run and watch jobs, set dataset retention, list snapshots, roll a dataset back.
import { createRoute, z } from "@hono/zod-openapi";
import { and, desc, eq } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { releaseRolledBack } from "../../services/dedupe/release";
import { syncIcebergQuietly } from "../../services/iceberg/sync";
import { createJob, jobView } from "../../services/jobs/create-job";
import { listSnapshots as snapshotsOf } from "../../services/manifest/read";
import { rollbackDataset } from "../../services/manifest/rollback";
import { classifyColumns } from "../../services/privacy/masking";
import {
  CreateJobBody,
  DatasetSettingsBody,
  JobList,
  JobSchema,
  RollbackBody,
  SnapshotSchema,
} from "../../shared/api/jobs";
import { DatasetClassifications } from "../../shared/api/privacy";
import { datasetSettings, jobs } from "../../shared/db/jobs";
import { TarnError } from "../../shared/errors";
import { EventTypeSchema } from "../../shared/events/envelope";
import { projectOf, requirePermission } from "../middleware/auth";
import { jsonBody } from "../middleware/json-body";
import { bearer, errorResponses, router } from "../openapi";

const tags = ["Jobs and snapshots"];
const json = <T extends z.ZodType>(schema: T) => ({ "application/json": { schema } });

const runJob = createRoute({
  method: "post",
  path: "/v1/jobs",
  tags,
  summary: "Run a job now: compact, rollup or retention (admin)",
  security: bearer,
  middleware: [requirePermission("manage"), jsonBody()] as const,
  request: { body: { required: true, content: json(CreateJobBody) } },
  responses: { 202: { description: "Queued", content: json(JobSchema) }, ...errorResponses(400, 401, 403, 415, 503) },
});

const listJobs = createRoute({
  method: "get",
  path: "/v1/jobs",
  tags,
  summary: "The project's jobs, newest first (admin)",
  security: bearer,
  middleware: [requirePermission("manage")] as const,
  request: { query: z.object({ limit: z.coerce.number().int().min(1).max(500).default(50) }) },
  responses: { 200: { description: "Jobs", content: json(JobList) }, ...errorResponses(400, 401, 403) },
});

const getJob = createRoute({
  method: "get",
  path: "/v1/jobs/{id}",
  tags,
  summary: "One job with its status and progress (admin)",
  security: bearer,
  middleware: [requirePermission("manage")] as const,
  request: { params: z.object({ id: z.string().min(1).max(64) }) },
  responses: { 200: { description: "The job", content: json(JobSchema) }, ...errorResponses(401, 403, 404) },
});

const putDataset = createRoute({
  method: "put",
  path: "/v1/datasets/{name}",
  tags,
  summary: "Set a dataset's retention (null keeps data forever) and classify its envelope columns (admin)",
  description:
    "`columns` classifies envelope columns (`classification`, `pii`, `mask`: redact, hash or partial; default redact): " +
    "confidential, restricted and PII columns are masked for every principal without the unmask permission, in every answer. " +
    "The name `events` classifies the columns of every dataset (a dataset's own classification of a column wins). " +
    "Payload fields are classified in their contract (`x-pii`, `x-classification`, `x-mask`).",
  security: bearer,
  middleware: [requirePermission("manage"), jsonBody()] as const,
  request: {
    params: z.object({ name: EventTypeSchema }),
    body: { required: true, content: json(DatasetSettingsBody) },
  },
  responses: {
    200: {
      description: "Saved",
      content: json(
        z.object({
          name: z.string(),
          retention_days: z.number().int().nullable(),
          columns: DatasetClassifications.shape.columns,
        }),
      ),
    },
    ...errorResponses(400, 401, 403, 415),
  },
});

const listSnapshots = createRoute({
  method: "get",
  path: "/v1/snapshots",
  tags,
  summary: "Every change of the project's lake, newest first (query)",
  security: bearer,
  middleware: [requirePermission("read")] as const,
  request: { query: z.object({ limit: z.coerce.number().int().min(1).max(1000).default(100) }) },
  responses: {
    200: { description: "Snapshots", content: json(z.object({ snapshots: z.array(SnapshotSchema) })) },
    ...errorResponses(400, 401, 403),
  },
});

const rollback = createRoute({
  method: "post",
  path: "/v1/datasets/{name}/rollback",
  tags,
  summary: "Make a dataset what it was at a snapshot, as a new snapshot (admin)",
  security: bearer,
  middleware: [requirePermission("manage"), jsonBody()] as const,
  request: { params: z.object({ name: EventTypeSchema }), body: { required: true, content: json(RollbackBody) } },
  responses: {
    200: {
      description:
        "Rolled back. Events that left the dataset also leave the dedupe window (`released_ids`), so re-sending them lands them again.",
      content: json(z.object({ snapshot: z.number().int(), files: z.number().int(), released_ids: z.number().int() })),
    },
    ...errorResponses(400, 401, 403, 404, 409, 410, 415),
  },
});

export const jobRoutes = router()
  .openapi(runJob, async (c) => {
    const { projectId } = projectOf(c.get("principal"));
    const { type, ...params } = c.req.valid("json");
    return c.json(jobView(await createJob(c.env, projectId, type, params)), 202);
  })
  .openapi(listJobs, async (c) => {
    const { projectId } = projectOf(c.get("principal"));
    const rows = await drizzle(c.env.DB)
      .select()
      .from(jobs)
      .where(eq(jobs.projectId, projectId))
      .orderBy(desc(jobs.createdAt), desc(jobs.id))
      .limit(c.req.valid("query").limit)
      .all();
    return c.json({ jobs: rows.map(jobView) }, 200);
  })
  .openapi(getJob, async (c) => {
    const { projectId } = projectOf(c.get("principal"));
    const row = await drizzle(c.env.DB)
      .select()
      .from(jobs)
      .where(and(eq(jobs.id, c.req.valid("param").id), eq(jobs.projectId, projectId)))
      .get();
    if (!row) throw new TarnError("NOT_FOUND", "no such job in this project");
    return c.json(jobView(row), 200);
  })
  .openapi(putDataset, async (c) => {
    const { projectId } = projectOf(c.get("principal"));
    const { name } = c.req.valid("param");
    const { retention_days, columns } = c.req.valid("json");
    if (retention_days !== undefined)
      await drizzle(c.env.DB)
        .insert(datasetSettings)
        .values({ projectId, dataset: name, retentionDays: retention_days })
        .onConflictDoUpdate({
          target: [datasetSettings.projectId, datasetSettings.dataset],
          set: { retentionDays: retention_days, updatedAt: new Date().toISOString() },
        })
        .run();
    const classified = await classifyColumns(c.env.DB, projectId, name, columns ?? {});
    const settings = await drizzle(c.env.DB)
      .select({ days: datasetSettings.retentionDays })
      .from(datasetSettings)
      .where(and(eq(datasetSettings.projectId, projectId), eq(datasetSettings.dataset, name)))
      .get();
    return c.json({ name, retention_days: settings?.days ?? null, columns: classified }, 200);
  })
  .openapi(listSnapshots, async (c) => {
    const { projectId } = projectOf(c.get("principal"));
    const rows = await snapshotsOf(c.env.DB, projectId, c.req.valid("query").limit);
    return c.json(
      {
        snapshots: rows.map((s) => ({
          id: s.id,
          kind: s.kind,
          files_added: s.filesAdded,
          files_removed: s.filesRemoved,
          rows_added: s.rowsAdded,
          created_at: s.createdAt,
        })),
      },
      200,
    );
  })
  .openapi(rollback, async (c) => {
    const { projectId } = projectOf(c.get("principal"));
    const { name } = c.req.valid("param");
    const result = await rollbackDataset(c.env.DB, projectId, name, c.req.valid("json").snapshot);
    const released = await releaseRolledBack(c.env, projectId, result.removed, result.restored);
    c.executionCtx.waitUntil(syncIcebergQuietly(c.env, projectId, name)); // the Iceberg table follows the rollback
    return c.json({ snapshot: result.snapshot, files: result.files, released_ids: released }, 200);
  });
