// Reading the lake: datasets, the manifest's current files, one file's bytes, quarantine, dead letters.
import { createRoute, z } from "@hono/zod-openapi";
import { desc, eq } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { listQuarantine, QuarantineRecord } from "../../services/ingest/quarantine";
import {
  datasetOfKey,
  datasetSummaries,
  isProjectFile,
  listFiles,
  ownTables,
  typedColumnsByDataset,
} from "../../services/manifest/read";
import { canUnmask, privacyPolicy } from "../../services/privacy/masking";
import { holds } from "../../shared/access/permissions";
import { DatasetList, DeadLetterList, LakeFileList, LakeFilesQuery, PageQuery } from "../../shared/api/lake";
import { deadLetters } from "../../shared/db/lake";
import { TarnError } from "../../shared/errors";
import { LAKE_COLUMNS } from "../../shared/lake/lake-row";
import { datasetKindOf } from "../../shared/lake/partition";
import { hasMaskedValues } from "../../shared/privacy/policy";
import { sqlTableName } from "../../shared/query/schema";
import { projectOf, requirePermission } from "../middleware/auth";
import { bearer, errorResponses, router } from "../openapi";

const tags = ["Datasets and the lake"];
const iso = (ms: number) => new Date(ms).toISOString();

const datasets = createRoute({
  method: "get",
  path: "/v1/datasets",
  tags,
  summary: "Datasets (one per event type) with rows, bytes, files and time range (query)",
  security: bearer,
  middleware: [requirePermission("read")] as const,
  responses: {
    200: { description: "The datasets", content: { "application/json": { schema: DatasetList } } },
    ...errorResponses(401, 403),
  },
});

const files = createRoute({
  method: "get",
  path: "/v1/lake/files",
  tags,
  summary: "The files that make up the tables now (query)",
  security: bearer,
  middleware: [requirePermission("read")] as const,
  request: { query: LakeFilesQuery },
  responses: {
    200: { description: "The files", content: { "application/json": { schema: LakeFileList } } },
    ...errorResponses(400, 401, 403),
  },
});

// The key contains slashes, so the served route uses a wildcard; this entry documents it.
const file = createRoute({
  method: "get",
  path: "/v1/lake/files/{key}",
  tags,
  summary: "One Parquet file's bytes, for a key of the caller's project (query)",
  description: "The key as listed by /v1/lake/files, slashes included (they may also be percent-encoded).",
  security: bearer,
  request: { params: z.object({ key: z.string().min(1).max(1024) }) },
  responses: {
    200: {
      description: "The Parquet object",
      content: { "application/vnd.apache.parquet": { schema: { type: "string", format: "binary" } } },
    },
    ...errorResponses(400, 401, 403, 404),
  },
});

const quarantineList = createRoute({
  method: "get",
  path: "/v1/quarantine",
  tags: ["Events"],
  summary: "Rejected events with their reasons, oldest first (admin)",
  security: bearer,
  middleware: [requirePermission("manage")] as const,
  request: { query: PageQuery },
  responses: {
    200: {
      description: "A page of quarantined events",
      content: {
        "application/json": {
          schema: z.object({ events: z.array(QuarantineRecord), next_cursor: z.string().nullable() }),
        },
      },
    },
    ...errorResponses(400, 401, 403),
  },
});

const deadLetterList = createRoute({
  method: "get",
  path: "/v1/dead-letters",
  tags: ["Events"],
  summary: "Queue messages that exhausted their retries (admin)",
  security: bearer,
  middleware: [requirePermission("manage")] as const,
  request: { query: PageQuery.pick({ limit: true }) },
  responses: {
    200: { description: "Dead letters, newest first", content: { "application/json": { schema: DeadLetterList } } },
    ...errorResponses(400, 401, 403),
  },
});

export const lakeRoutes = router();
lakeRoutes.openAPIRegistry.registerPath(file);
lakeRoutes.get("/v1/lake/files/:key{.+}", requirePermission("query"), async (c) => {
  const { projectId } = projectOf(c.get("principal"));
  const key = c.req.param("key");
  if (key.length > 1024)
    throw new TarnError("VALIDATION_ERROR", "key: must be at most 1024 characters", { details: { field: "key" } });
  // Only keys the manifest knows for this project: no traversal, no other tenant, no staging.
  if (!(await isProjectFile(c.env.DB, projectId, key)))
    throw new TarnError("NOT_FOUND", "no such file in this project's lake");
  // Raw files hold masked columns in clear: only a principal who may see them unmasked downloads them.
  const principal = projectOf(c.get("principal"));
  if (!canUnmask(principal)) {
    const dataset = (await datasetOfKey(c.env.DB, projectId, key)) ?? "";
    const policy = await privacyPolicy(c.env.DB, projectId, false);
    if (hasMaskedValues(policy, dataset))
      throw new TarnError("FORBIDDEN", "this file holds columns masked for you; query them through /v1/query instead");
  }
  const object = await c.env.LAKE.get(key);
  if (!object) throw new TarnError("NOT_FOUND", "the file has been garbage-collected");
  return c.body(object.body, 200, {
    "Content-Type": "application/vnd.apache.parquet",
    "Content-Length": String(object.size),
    ETag: object.httpEtag,
    "Cache-Control": "private, max-age=31536000, immutable",
  });
});

lakeRoutes
  .openapi(datasets, async (c) => {
    const principal = projectOf(c.get("principal"));
    const { projectId } = principal;
    const [rows, typed, own] = await Promise.all([
      datasetSummaries(c.env.DB, projectId),
      typedColumnsByDataset(c.env.DB, projectId),
      ownTables(c.env.DB, projectId),
    ]);
    const columns = LAKE_COLUMNS.map((col) => ({ name: col.name, type: col.type }));
    return c.json(
      {
        // The audit table is listed to those who may read it (admins).
        datasets: rows
          .filter((r) => own.get(r.name)?.layer !== "audit" || holds(principal, "manage"))
          .map((r) => ({
            name: r.name,
            kind: datasetKindOf(own.get(r.name)?.layer),
            table: sqlTableName(r.name),
            rows: r.rows,
            bytes: r.bytes,
            files: r.files,
            first_event_at: iso(r.minTs),
            last_event_at: iso(r.maxTs),
            // A table of its own: its files' columns. An event type: the lake's columns, then the typed
            // columns its contract put in its files.
            columns: own.get(r.name)?.columns ?? [
              ...columns,
              ...(typed.get(r.name) ?? []).map((t) => ({ name: t.name, type: t.type })),
            ],
          })),
      },
      200,
    );
  })
  .openapi(files, async (c) => {
    const { projectId } = projectOf(c.get("principal"));
    const q = c.req.valid("query");
    const rows = await listFiles(c.env.DB, projectId, { dataset: q.dataset, minTs: q.from, maxTs: q.to });
    return c.json(
      {
        files: rows.map((f) => ({
          key: f.key,
          dataset: f.dataset,
          layer: f.layer,
          rows: f.rows,
          bytes: f.bytes,
          min_ts: iso(f.minTs),
          max_ts: iso(f.maxTs),
        })),
      },
      200,
    );
  })
  .openapi(quarantineList, async (c) => {
    const { projectId } = projectOf(c.get("principal"));
    const { limit, cursor } = c.req.valid("query");
    const page = await listQuarantine(c.env, projectId, limit, cursor);
    if (!page)
      throw new TarnError("VALIDATION_ERROR", "cursor: not a cursor from this listing", {
        details: { field: "cursor" },
      });
    return c.json(page, 200);
  })
  .openapi(deadLetterList, async (c) => {
    const { projectId } = projectOf(c.get("principal"));
    const { limit } = c.req.valid("query");
    const rows = await drizzle(c.env.DB)
      .select()
      .from(deadLetters)
      .where(eq(deadLetters.projectId, projectId))
      .orderBy(desc(deadLetters.receivedAt))
      .limit(limit)
      .all();
    return c.json(
      {
        dead_letters: rows.map((r) => ({
          id: r.id,
          queue: r.queue,
          message_id: r.messageId,
          attempts: r.attempts,
          events: r.events,
          body: r.body,
          received_at: r.receivedAt,
        })),
      },
      200,
    );
  });
