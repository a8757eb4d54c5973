// /v1/dashboards: dashboards of tiles, their data in one call, share links, exports; /v1/shared/{token}
// (a share link's read-only, viewer-masked view) and /v1/exports/{file} (an export's download).
import { createRoute } from "@hono/zod-openapi";
import type { Context } from "hono";
import { readExport } from "../../services/dashboards/export-store";
import { sharerPrincipal } from "../../services/dashboards/sharer";
import {
  countDashboards,
  createDashboard,
  createShare,
  deleteDashboard,
  findDashboardRow,
  getDashboard,
  listDashboards,
  listShares,
  MAX_DASHBOARDS_PER_PROJECT,
  replaceDashboard,
  resolveShare,
  revokeShare,
} from "../../services/dashboards/store";
import { dashboardData, type TileContext, viewerForShare } from "../../services/dashboards/tile-data";
import {
  DashboardData,
  DashboardIdParam,
  DashboardList,
  DashboardSchema,
  ExportBody,
  ExportCreated,
  ExportFileParam,
  ShareCreated,
  SharedDashboard,
  SharedTokenParam,
  ShareList,
  ShareParam,
} from "../../shared/api/dashboards";
import { looksLikeShareToken, newShareToken, shareTokenHash } from "../../shared/dashboards/share-token";
import { DashboardBodySchema } from "../../shared/dashboards/spec";
import { TarnError } from "../../shared/errors";
import { actorOf, type ProjectPrincipal } from "../../shared/principal";
import type { AppEnv } from "../context";
import { audit, projectOf, requirePermission } from "../middleware/auth";
import { jsonBody } from "../middleware/json-body";
import { bearer, errorResponses, router } from "../openapi";

const tags = ["Dashboards"];
const DEFAULT_EXPORT_WIDTH = 1200;

const json = <T>(schema: T) => ({ content: { "application/json": { schema } } });

const create = createRoute({
  method: "post",
  path: "/v1/dashboards",
  tags,
  summary: "Create a dashboard (analyst)",
  description:
    "Tiles (`visualizations`) sit on a 12-column grid (`position` x, y, w, h in grid units) and chart a SQL `query` " +
    "or a live `metric` ({name, window, last}). `config` names the x column, the y column(s) and a series column.",
  security: bearer,
  middleware: [requirePermission("write"), jsonBody()] as const,
  request: { body: { required: true, ...json(DashboardBodySchema) } },
  responses: { 201: { description: "Created", ...json(DashboardSchema) }, ...errorResponses(400, 401, 403, 409, 415) },
});

const list = createRoute({
  method: "get",
  path: "/v1/dashboards",
  tags,
  summary: "The project's dashboards, last changed first (viewer)",
  security: bearer,
  middleware: [requirePermission("read")] as const,
  responses: { 200: { description: "The dashboards", ...json(DashboardList) }, ...errorResponses(401, 403) },
});

const get = createRoute({
  method: "get",
  path: "/v1/dashboards/{id}",
  tags,
  summary: "One dashboard (viewer)",
  security: bearer,
  middleware: [requirePermission("read")] as const,
  request: { params: DashboardIdParam },
  responses: { 200: { description: "The dashboard", ...json(DashboardSchema) }, ...errorResponses(401, 403, 404) },
});

const replace = createRoute({
  method: "put",
  path: "/v1/dashboards/{id}",
  tags,
  summary: "Replace a dashboard's name and tiles (analyst)",
  security: bearer,
  middleware: [requirePermission("write"), jsonBody()] as const,
  request: { params: DashboardIdParam, body: { required: true, ...json(DashboardBodySchema) } },
  responses: {
    200: { description: "The dashboard", ...json(DashboardSchema) },
    ...errorResponses(400, 401, 403, 404, 415),
  },
});

const remove = createRoute({
  method: "delete",
  path: "/v1/dashboards/{id}",
  tags,
  summary: "Delete a dashboard; its share links stop working (analyst)",
  security: bearer,
  middleware: [requirePermission("write")] as const,
  request: { params: DashboardIdParam },
  responses: { 204: { description: "Deleted" }, ...errorResponses(401, 403, 404) },
});

const data = createRoute({
  method: "get",
  path: "/v1/dashboards/{id}/data",
  tags,
  summary: "Every tile's data in one call (viewer)",
  description:
    "Tiles run concurrently; SQL tiles through the query path (answer cache, rollups, scan) with the caller's masking, " +
    "metric tiles from the live windows. A failing tile carries `error` ({code, message}) and does not fail the others. " +
    "Not counted against the hourly query limit: a dashboard is read, not queried.",
  security: bearer,
  middleware: [requirePermission("read")] as const,
  request: { params: DashboardIdParam },
  responses: { 200: { description: "The tiles' data", ...json(DashboardData) }, ...errorResponses(401, 403, 404) },
});

const share = createRoute({
  method: "post",
  path: "/v1/dashboards/{id}/share",
  tags,
  summary: "Create a share link (analyst)",
  description:
    "Each call makes a new unguessable token (256 random bits; only its SHA-256 is stored, so it is shown once). " +
    "Anyone with the link sees the dashboard and its data read-only, masked as for a viewer, until it is revoked.",
  security: bearer,
  middleware: [requirePermission("write")] as const,
  request: { params: DashboardIdParam },
  responses: { 201: { description: "The link", ...json(ShareCreated) }, ...errorResponses(401, 403, 404) },
});

const shares = createRoute({
  method: "get",
  path: "/v1/dashboards/{id}/share",
  tags,
  summary: "The dashboard's live share links, without their tokens (analyst)",
  security: bearer,
  middleware: [requirePermission("write")] as const,
  request: { params: DashboardIdParam },
  responses: { 200: { description: "The links", ...json(ShareList) }, ...errorResponses(401, 403, 404) },
});

const unshare = createRoute({
  method: "delete",
  path: "/v1/dashboards/{id}/share/{token}",
  tags,
  summary: "Revoke a share link by its token or its id (analyst)",
  security: bearer,
  middleware: [requirePermission("write")] as const,
  request: { params: ShareParam },
  responses: { 204: { description: "Revoked" }, ...errorResponses(401, 403, 404) },
});

const exportRoute = createRoute({
  method: "post",
  path: "/v1/dashboards/{id}/export",
  tags,
  summary: "Export the dashboard as PNG or PDF (viewer)",
  description:
    "Renders the current data with the web app's chart renderer into one page (`width` CSS pixels, default 1200; " +
    "PDF: that page as one PDF page) and answers a download URL that works without credentials for one hour.",
  security: bearer,
  middleware: [requirePermission("read"), jsonBody()] as const,
  request: { params: DashboardIdParam, body: { required: true, ...json(ExportBody) } },
  responses: {
    200: { description: "Where to download it", ...json(ExportCreated) },
    ...errorResponses(400, 401, 403, 404, 415),
  },
});

const shared = createRoute({
  method: "get",
  path: "/v1/shared/{token}",
  tags,
  summary: "A shared dashboard and its data, read-only (no credential)",
  description: "Masked as for a viewer. A revoked or unknown token is 404.",
  middleware: [requirePermission("public")] as const,
  request: { params: SharedTokenParam },
  responses: { 200: { description: "The dashboard", ...json(SharedDashboard) }, ...errorResponses(404) },
});

const download = createRoute({
  method: "get",
  path: "/v1/exports/{file}",
  tags,
  summary: "Download an export (no credential: the URL is the secret; one hour)",
  middleware: [requirePermission("public")] as const,
  request: { params: ExportFileParam },
  responses: {
    200: {
      description: "The file",
      content: {
        "image/png": { schema: { type: "string", format: "binary" } },
        "application/pdf": { schema: { type: "string", format: "binary" } },
      },
    },
    ...errorResponses(404),
  },
});

function tileContext(c: Context<AppEnv>, principal: ProjectPrincipal): TileContext {
  return {
    env: c.env,
    exports: (c.executionCtx as ExecutionContext).exports,
    waitUntil: (work) => c.executionCtx.waitUntil(work),
    principal,
  };
}

async function mustFind(c: Context<AppEnv>, id: string) {
  const row = await findDashboardRow(c.env.DB, projectOf(c.get("principal")).projectId, id);
  if (!row) throw new TarnError("NOT_FOUND", `no dashboard ${id} in this project`);
  return row;
}

const notShared = () => new TarnError("NOT_FOUND", "no such share link (unknown or revoked)");

export const dashboardRoutes = router()
  .openapi(create, async (c) => {
    const principal = projectOf(c.get("principal"));
    if ((await countDashboards(c.env.DB, principal.projectId)) >= MAX_DASHBOARDS_PER_PROJECT)
      throw new TarnError("CONFLICT", `a project has at most ${MAX_DASHBOARDS_PER_PROJECT} dashboards`);
    const out = await createDashboard(c.env.DB, principal.projectId, actorOf(principal).id, c.req.valid("json"));
    c.set("auditTarget", `/v1/dashboards/${out.dashboard_id}`);
    return c.json(out, 201);
  })
  .openapi(list, async (c) => {
    const { projectId } = projectOf(c.get("principal"));
    return c.json({ dashboards: await listDashboards(c.env.DB, projectId) }, 200);
  })
  .openapi(get, async (c) => {
    const { id } = c.req.valid("param");
    const out = await getDashboard(c.env.DB, projectOf(c.get("principal")).projectId, id);
    if (!out) throw new TarnError("NOT_FOUND", `no dashboard ${id} in this project`);
    return c.json(out, 200);
  })
  .openapi(replace, async (c) => {
    const { id } = c.req.valid("param");
    const out = await replaceDashboard(c.env.DB, projectOf(c.get("principal")).projectId, id, c.req.valid("json"));
    if (!out) throw new TarnError("NOT_FOUND", `no dashboard ${id} in this project`);
    return c.json(out, 200);
  })
  .openapi(remove, async (c) => {
    const { id } = c.req.valid("param");
    if (!(await deleteDashboard(c.env.DB, projectOf(c.get("principal")).projectId, id)))
      throw new TarnError("NOT_FOUND", `no dashboard ${id} in this project`);
    return c.body(null, 204);
  })
  .openapi(data, async (c) => {
    const started = Date.now();
    const row = await mustFind(c, c.req.valid("param").id);
    const tiles = await dashboardData(tileContext(c, projectOf(c.get("principal"))), row.visualizations);
    return c.json({ visualizations: tiles, elapsed: (Date.now() - started) / 1000 }, 200);
  })
  .openapi(share, async (c) => {
    const principal = projectOf(c.get("principal"));
    const row = await mustFind(c, c.req.valid("param").id);
    const token = newShareToken();
    const made = await createShare(
      c.env.DB,
      principal.projectId,
      row.id,
      actorOf(principal).id,
      await shareTokenHash(token),
    );
    // The audit entry names the share id, never the token.
    c.set("auditTarget", `/v1/dashboards/${row.id}/share/${made.id}`);
    const origin = new URL(c.req.url).origin;
    return c.json({ id: made.id, share_token: token, url: `${origin}/s/${token}`, created_at: made.createdAt }, 201);
  })
  .openapi(shares, async (c) => {
    const principal = projectOf(c.get("principal"));
    const row = await mustFind(c, c.req.valid("param").id);
    return c.json({ shares: await listShares(c.env.DB, principal.projectId, row.id) }, 200);
  })
  .openapi(unshare, async (c) => {
    const principal = projectOf(c.get("principal"));
    const { id, token } = c.req.valid("param");
    const match = looksLikeShareToken(token) ? { tokenHash: await shareTokenHash(token) } : { id: token };
    c.set("auditTarget", `/v1/dashboards/${id}/share`);
    const revoked = await revokeShare(c.env.DB, principal.projectId, id, match);
    if (!revoked) throw new TarnError("NOT_FOUND", `no live share link of dashboard ${id} matches`);
    c.set("auditTarget", `/v1/dashboards/${id}/share/${revoked}`);
    return c.body(null, 204);
  })
  .openapi(exportRoute, async (c) => {
    const principal = projectOf(c.get("principal"));
    const body = c.req.valid("json");
    const row = await mustFind(c, c.req.valid("param").id);
    const tiles = await dashboardData(tileContext(c, principal), row.visualizations);
    // Loaded on first use: the rasteriser (WASM) and pdf-lib stay out of every other request.
    const { exportDashboard } = await import("../../services/dashboards/export");
    const made = await exportDashboard(c.env, principal.projectId, row, tiles, {
      format: body.format,
      width: body.width ?? DEFAULT_EXPORT_WIDTH,
      theme: body.theme ?? "light",
    });
    c.set("auditTarget", `/v1/dashboards/${row.id}/export/${body.format}`);
    return c.json(
      {
        download_url: `${new URL(c.req.url).origin}/v1/exports/${made.file}`,
        expires_at: made.expiresAt,
        format: body.format,
        bytes: made.bytes,
        width: made.width,
        height: made.height,
      },
      200,
    );
  })
  .openapi(shared, async (c) => {
    const { token } = c.req.valid("param");
    if (!looksLikeShareToken(token)) throw notShared();
    const found = await resolveShare(c.env.DB, await shareTokenHash(token));
    if (!found) throw notShared();
    // Evaluated as the sharer (their row-level policies), masked as a viewer: never more than either sees.
    const sharer = await sharerPrincipal(c.env.DB, found.projectId, found.createdBy);
    if (!sharer) throw notShared();
    const viewer = viewerForShare(found.projectId, found.shareId);
    const tiles = await dashboardData({ ...tileContext(c, viewer), sharedBy: sharer }, found.dashboard.visualizations);
    // A data read by whoever holds the link: audited under the share's id, never its token.
    await audit(c, found.projectId, {
      actor: { type: "anonymous", id: found.shareId },
      action: "dashboards.shared_read",
      target: `/v1/dashboards/${found.dashboard.id}`,
      outcome: "ok",
      status: 200,
    });
    const d = found.dashboard;
    return c.json(
      {
        dashboard: {
          dashboard_id: d.id,
          name: d.name,
          visualizations: d.visualizations,
          created_at: d.createdAt,
          updated_at: d.updatedAt,
        },
        visualizations: tiles,
      },
      200,
    );
  })
  .openapi(download, async (c) => {
    const object = await readExport(c.env, c.req.valid("param").file);
    if (!object) throw new TarnError("NOT_FOUND", "no such export (unknown or expired)");
    const headers = new Headers();
    object.writeHttpMetadata(headers);
    headers.set("Cache-Control", "private, max-age=3600");
    headers.set("Content-Length", String(object.size));
    return new Response(object.body, { headers }) as never;
  });
