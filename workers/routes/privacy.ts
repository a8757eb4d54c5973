// Privacy: reading column classifications (set with PUT /v1/datasets/{name}, jobs.ts), erasure and subject export.
import { createRoute } from "@hono/zod-openapi";
import { createJob } from "../../services/jobs/create-job";
import { requestErasure } from "../../services/privacy/erasure";
import { classificationsOf } from "../../services/privacy/masking";
import { getRequest, insertRequest } from "../../services/privacy/requests";
import {
  DatasetClassifications,
  DatasetNameParam,
  DownloadQuery,
  ErasureAccepted,
  ErasureStatus,
  ExportAccepted,
  ExportStatus,
  RequestIdParam,
  SubjectBody,
} from "../../shared/api/privacy";
import { TarnError } from "../../shared/errors";
import { newId } from "../../shared/ids";
import { actorOf } from "../../shared/principal";
import { masterKeyBytes } from "../../shared/privacy/field-cipher";
import { exportKey, signDownload, verifyDownload } from "../../shared/privacy/subject-export";
import { projectOf, requirePermission } from "../middleware/auth";
import { jsonBody } from "../middleware/json-body";
import { bearer, errorResponses, router } from "../openapi";

const tags = ["Privacy"];
/** How long a subject export's download link works. */
const DOWNLOAD_TTL_SECONDS = 3600;

const getDataset = createRoute({
  method: "get",
  path: "/v1/datasets/{name}/classification",
  tags,
  summary: "A dataset's envelope column classifications (query)",
  security: bearer,
  middleware: [requirePermission("read")] as const,
  request: { params: DatasetNameParam },
  responses: {
    200: { description: "The classified columns", content: { "application/json": { schema: DatasetClassifications } } },
    ...errorResponses(400, 401, 403),
  },
});

const erase = createRoute({
  method: "post",
  path: "/v1/privacy/erasure",
  tags,
  summary: "Erase a data subject (admin)",
  description:
    "Destroys the subject's data keys before answering (encrypted fields read NULL at every snapshot), then a job " +
    "rewrites every file holding the subject's rows without them, deletes the replaced objects at once (older " +
    "snapshots that listed them answer 410 GONE), purges the subject's quarantine entries and rebuilds rollups.",
  security: bearer,
  middleware: [requirePermission("manage"), jsonBody()] as const,
  request: { body: { required: true, content: { "application/json": { schema: SubjectBody } } } },
  responses: {
    202: {
      description: "Keys destroyed; rewrite queued",
      content: { "application/json": { schema: ErasureAccepted } },
    },
    ...errorResponses(400, 401, 403, 415, 503),
  },
});

const erasureStatus = createRoute({
  method: "get",
  path: "/v1/privacy/erasure/{id}",
  tags,
  summary: "An erasure's progress and receipt (admin)",
  security: bearer,
  middleware: [requirePermission("manage")] as const,
  request: { params: RequestIdParam },
  responses: {
    200: { description: "The erasure", content: { "application/json": { schema: ErasureStatus } } },
    ...errorResponses(401, 403, 404),
  },
});

const exportSubject = createRoute({
  method: "post",
  path: "/v1/privacy/export",
  tags,
  summary: "Export every event of a data subject, decrypted, as NDJSON (admin)",
  security: bearer,
  middleware: [requirePermission("manage"), jsonBody()] as const,
  request: { body: { required: true, content: { "application/json": { schema: SubjectBody } } } },
  responses: {
    202: { description: "Export queued", content: { "application/json": { schema: ExportAccepted } } },
    ...errorResponses(400, 401, 403, 415, 503),
  },
});

const exportStatus = createRoute({
  method: "get",
  path: "/v1/privacy/export/{id}",
  tags,
  summary: "An export's status and, when done, a download link valid for an hour (admin)",
  security: bearer,
  middleware: [requirePermission("manage")] as const,
  request: { params: RequestIdParam },
  responses: {
    200: { description: "The export", content: { "application/json": { schema: ExportStatus } } },
    ...errorResponses(401, 403, 404),
  },
});

const download = createRoute({
  method: "get",
  path: "/v1/privacy/export/{id}/download",
  tags,
  summary: "Download an export through its signed link (the link is the credential; it expires)",
  middleware: [requirePermission("public")] as const,
  request: { params: RequestIdParam, query: DownloadQuery },
  responses: {
    200: {
      description: "NDJSON of the subject's events",
      content: { "application/x-ndjson": { schema: { type: "string", format: "binary" } } },
    },
    ...errorResponses(400, 403, 404),
  },
});

export const privacyRoutes = router()
  .openapi(getDataset, async (c) => {
    const { projectId } = projectOf(c.get("principal"));
    const { name } = c.req.valid("param");
    const columns = Object.fromEntries((await classificationsOf(c.env.DB, projectId)).get(name) ?? []);
    return c.json({ dataset: name, columns }, 200);
  })
  .openapi(erase, async (c) => {
    const principal = projectOf(c.get("principal"));
    const { user_id } = c.req.valid("json");
    const actor = actorOf(principal);
    const accepted = await requestErasure(c.env, principal.projectId, user_id, `${actor.type}:${actor.id}`);
    return c.json(accepted, 202);
  })
  .openapi(erasureStatus, async (c) => {
    const { projectId } = projectOf(c.get("principal"));
    const r = await getRequest(c.env.DB, projectId, c.req.valid("param").id, "erasure");
    if (!r) throw new TarnError("NOT_FOUND", "no such erasure in this project");
    return c.json(
      {
        id: r.id,
        user_id: r.subject,
        status: r.status as "requested" | "keys_destroyed" | "rewriting" | "completed" | "failed",
        requested_at: r.requestedAt,
        keys_destroyed_at: r.keysDestroyedAt,
        rows_removed: r.rowsRemoved,
        files_rewritten: r.filesRewritten,
        completed_at: r.completedAt,
        receipt: r.status === "completed" ? (r.result ?? null) : null,
        error: r.error,
      },
      200,
    );
  })
  .openapi(exportSubject, async (c) => {
    const principal = projectOf(c.get("principal"));
    const { user_id } = c.req.valid("json");
    const actor = actorOf(principal);
    const id = newId("ex");
    await insertRequest(c.env.DB, {
      id,
      projectId: principal.projectId,
      kind: "export",
      subject: user_id,
      status: "queued",
      actor: `${actor.type}:${actor.id}`,
      requestedAt: new Date().toISOString(),
    });
    await createJob(c.env, principal.projectId, "subject-export", { request_id: id });
    return c.json({ id, status: "queued" }, 202);
  })
  .openapi(exportStatus, async (c) => {
    const { projectId } = projectOf(c.get("principal"));
    const r = await getRequest(c.env.DB, projectId, c.req.valid("param").id, "export");
    if (!r) throw new TarnError("NOT_FOUND", "no such export in this project");
    const done = r.status === "completed";
    const expires = Math.floor(Date.now() / 1000) + DOWNLOAD_TTL_SECONDS;
    const query = done ? signDownload(masterKeyBytes(c.env.MASTER_KEY), projectId, r.id, expires) : null;
    return c.json(
      {
        id: r.id,
        user_id: r.subject,
        status: r.status as "queued" | "running" | "completed" | "failed",
        requested_at: r.requestedAt,
        completed_at: r.completedAt,
        rows: done ? Number(r.result?.rows ?? 0) : null,
        download_url: query ? `${new URL(c.req.url).origin}/v1/privacy/export/${r.id}/download?${query}` : null,
        expires_at: query ? new Date(expires * 1000).toISOString() : null,
      },
      200,
    );
  })
  .openapi(download, async (c) => {
    const { id } = c.req.valid("param");
    const { project, expires, sig } = c.req.valid("query");
    const genuine = verifyDownload(
      masterKeyBytes(c.env.MASTER_KEY),
      { projectId: project, id, expires, sig },
      Math.floor(Date.now() / 1000),
    );
    if (!genuine) throw new TarnError("FORBIDDEN", "this download link is not valid or has expired; ask for a new one");
    const object = await c.env.LAKE.get(exportKey(project, id));
    if (!object) throw new TarnError("NOT_FOUND", "the export is gone (erased, or never written)");
    return c.body(object.body, 200, {
      "Content-Type": "application/x-ndjson",
      "Content-Disposition": `attachment; filename="${id}.ndjson"`,
      "Cache-Control": "no-store",
    }) as never; // a streamed body: the typed response helpers only know JSON
  });
