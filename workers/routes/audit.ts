// /v1/audit: the project's tamper-evident log of admin actions, data reads and denials (admin).
import { createRoute } from "@hono/zod-openapi";
import { auditStub } from "../../services/access/audit";
import { exportAuditLog } from "../../services/access/audit-export";
import { AuditExport, AuditList, AuditQuery, AuditVerdict } from "../../shared/api/access";
import { projectOf, requirePermission } from "../middleware/auth";
import { bearer, errorResponses, router } from "../openapi";

const tags = ["Audit log"];

const list = createRoute({
  method: "get",
  path: "/v1/audit",
  tags,
  summary: "Audit entries, oldest first, filtered by time, action (or action prefix) and actor (admin)",
  description:
    "Each entry carries `prev_hash` and `hash` = SHA-256(prev_hash ‖ canonical entry). Pass `next_cursor` back as `cursor` for the next page.",
  security: bearer,
  middleware: [requirePermission("manage")] as const,
  request: { query: AuditQuery },
  responses: {
    200: { description: "A page of entries", content: { "application/json": { schema: AuditList } } },
    ...errorResponses(400, 401, 403),
  },
});

const verify = createRoute({
  method: "get",
  path: "/v1/audit/verify",
  tags,
  summary: "Recompute the hash chain; name the first altered or missing entry (admin)",
  security: bearer,
  middleware: [requirePermission("manage")] as const,
  responses: {
    200: { description: "The verdict", content: { "application/json": { schema: AuditVerdict } } },
    ...errorResponses(401, 403),
  },
});

const exportNow = createRoute({
  method: "post",
  path: "/v1/audit/export",
  tags,
  summary: "Copy the entries not yet exported to R2 as Parquet now (admin; the hourly cron does it too)",
  description:
    "Files are `audit/{project}/dt=YYYY-MM-DD/{first seq}-{last seq}.parquet` (ZSTD), readable by any Parquet reader, " +
    "e.g. DuckDB over R2's S3 API.",
  security: bearer,
  middleware: [requirePermission("manage")] as const,
  responses: {
    200: { description: "The files written", content: { "application/json": { schema: AuditExport } } },
    ...errorResponses(401, 403),
  },
});

export const auditRoutes = router()
  .openapi(list, async (c) => {
    const { projectId } = projectOf(c.get("principal"));
    const q = c.req.valid("query");
    const page = await auditStub(c.env, projectId).list({
      from: q.from && new Date(q.from).toISOString(),
      to: q.to && new Date(q.to).toISOString(),
      action: q.action,
      actor: q.actor,
      afterSeq: q.cursor ? Number(q.cursor) : 0,
      limit: q.limit + 1,
    });
    const entries = page.slice(0, q.limit);
    const last = entries.at(-1);
    return c.json({ entries, next_cursor: page.length > q.limit && last ? String(last.seq) : null }, 200);
  })
  .openapi(verify, async (c) => {
    const { projectId } = projectOf(c.get("principal"));
    return c.json(await auditStub(c.env, projectId).verify(), 200);
  })
  .openapi(exportNow, async (c) => {
    const { projectId } = projectOf(c.get("principal"));
    return c.json({ files: await exportAuditLog(c.env, projectId) }, 200);
  });
