// A dashboard's data: every tile at once. SQL tiles go through the query coordinator (answer cache,
// rollups, scan; masking for the principal), metric tiles read their shard's recent windows.

import { fillQuietWindows, metricMeta, metricRow } from "../../shared/dashboards/metric-rows";
import type { TileData, Visualization } from "../../shared/dashboards/spec";
import { TarnError } from "../../shared/errors";
import { EVENTS_METRIC } from "../../shared/live/metric-def";
import { WINDOW_MS } from "../../shared/live/window-size";
import type { ProjectPrincipal } from "../../shared/principal";
import { jsonValue } from "../../shared/query/answer-format";
import { refuseLiveWhenFiltered } from "../access/policies";
import { findMetric } from "../live/metric-store";
import { coordinateQuery, type QueryContext } from "../query/coordinator";
import { windowStub } from "../stubs/window-shard";

/** Rows a tile returns at most: a chart of more is unreadable, and /data stays small. */
export const MAX_TILE_ROWS = 5_000;
const DEFAULT_METRIC_WINDOWS = 30;

export interface TileContext {
  env: Env;
  exports: Cloudflare.Exports;
  waitUntil: (work: Promise<unknown>) => void;
  /**
   * Who is looking: the coordinator masks columns for this principal. A share link looks as a viewer
   * (see viewerForShare), so a shared dashboard never shows more than a viewer would see.
   */
  principal: ProjectPrincipal;
  /** A share link's sharer: their row-level policies apply too (and refuse metric tiles when they bind). */
  sharedBy?: ProjectPrincipal;
}

/** The principal a share link acts as: a viewer of the dashboard's project, named by the share id. */
export function viewerForShare(projectId: string, shareId: string): ProjectPrincipal {
  return { kind: "user", projectId, userId: shareId, email: "", role: "viewer", tier: "free" };
}

function failure(id: string, err: unknown): TileData {
  if (err instanceof TarnError) return { id, meta: [], data: [], error: { code: err.code, message: err.message } };
  console.error(JSON.stringify({ msg: "dashboard tile failed", tile: id, error: String(err) }));
  return { id, meta: [], data: [], error: { code: "INTERNAL", message: "the tile could not be computed" } };
}

async function sqlTile(ctx: TileContext, v: Visualization & { query: string }): Promise<TileData> {
  const queryCtx = {
    env: ctx.env,
    exports: ctx.exports,
    waitUntil: ctx.waitUntil,
    projectId: ctx.principal.projectId,
    principal: ctx.principal,
    sharedBy: ctx.sharedBy,
  } satisfies QueryContext;
  const answer = await coordinateQuery(queryCtx, { sql: v.query });
  const rows = answer.rows.slice(0, MAX_TILE_ROWS);
  return {
    id: v.id,
    meta: answer.meta,
    data: rows.map((row) => {
      const o: Record<string, unknown> = {};
      answer.meta.forEach((m, i) => {
        o[m.name] = jsonValue(row[i], m.type);
      });
      return o;
    }),
    error: null,
    source: answer.statistics.source,
  };
}

async function metricTile(
  ctx: TileContext,
  v: Visualization & { metric: NonNullable<Visualization["metric"]> },
): Promise<TileData> {
  const { projectId } = ctx.principal;
  // Windows count every event: not for anyone row-level policies bind (nor a link they shared).
  await refuseLiveWhenFiltered(ctx.env, ctx.principal);
  if (ctx.sharedBy) await refuseLiveWhenFiltered(ctx.env, ctx.sharedBy);
  const found = await findMetric(ctx.env.DB, projectId, v.metric.name);
  if (!found) throw new TarnError("NOT_FOUND", `no metric ${v.metric.name} in this project`);
  if (!found.metric.windows.includes(v.metric.window))
    throw new TarnError(
      "VALIDATION_ERROR",
      `metric ${v.metric.name} has ${found.metric.windows.join(", ")} windows, not ${v.metric.window}`,
    );
  const shard = windowStub(ctx.env, projectId, v.metric.name);
  if (found.metric.id !== EVENTS_METRIC.id) await shard.configure(projectId, found.metric);
  const last = v.metric.last ?? DEFAULT_METRIC_WINDOWS;
  const windows = (await shard.recent(v.metric.window, last)) ?? [];
  const data = fillQuietWindows(
    windows.map((w) => metricRow(w)),
    WINDOW_MS[v.metric.window],
    last,
  );
  return { id: v.id, meta: metricMeta(data), data, error: null, source: "live" };
}

/** One tile's answer; a failing tile carries its error and never fails the others. */
export async function tileData(ctx: TileContext, v: Visualization): Promise<TileData> {
  try {
    if (v.query !== undefined) return await sqlTile(ctx, { ...v, query: v.query });
    if (v.metric !== undefined) return await metricTile(ctx, { ...v, metric: v.metric });
    throw new TarnError("VALIDATION_ERROR", "the tile has no source");
  } catch (err) {
    return failure(v.id, err);
  }
}

/** Every tile of a dashboard, concurrently, in the dashboard's order. */
export function dashboardData(ctx: TileContext, visualizations: Visualization[]): Promise<TileData[]> {
  return Promise.all(visualizations.map((v) => tileData(ctx, v)));
}
