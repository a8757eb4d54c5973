// D1 reads and writes of dashboards and their share links (the one module that owns those tables).
import { and, desc, eq, isNull } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import type { DashboardBody } from "../../shared/dashboards/spec";
import { dashboardShares, dashboards } from "../../shared/db/dashboards";
import { newId } from "../../shared/ids";

export type DashboardRow = typeof dashboards.$inferSelect;

export interface DashboardOut {
  dashboard_id: string;
  name: string;
  visualizations: DashboardRow["visualizations"];
  created_at: string;
  updated_at: string;
  /** True while at least one share link is live. */
  shared: boolean;
}

export const MAX_DASHBOARDS_PER_PROJECT = 500;

function out(row: DashboardRow, shared: boolean): DashboardOut {
  return {
    dashboard_id: row.id,
    name: row.name,
    visualizations: row.visualizations,
    created_at: row.createdAt,
    updated_at: row.updatedAt,
    shared,
  };
}

async function liveShareCount(db: D1Database, projectId: string, dashboardId?: string): Promise<Map<string, number>> {
  const rows = await drizzle(db)
    .select({ dashboardId: dashboardShares.dashboardId })
    .from(dashboardShares)
    .where(
      and(
        eq(dashboardShares.projectId, projectId),
        isNull(dashboardShares.revokedAt),
        ...(dashboardId ? [eq(dashboardShares.dashboardId, dashboardId)] : []),
      ),
    )
    .all();
  const counts = new Map<string, number>();
  for (const r of rows) counts.set(r.dashboardId, (counts.get(r.dashboardId) ?? 0) + 1);
  return counts;
}

export async function countDashboards(db: D1Database, projectId: string): Promise<number> {
  const rows = await drizzle(db)
    .select({ id: dashboards.id })
    .from(dashboards)
    .where(eq(dashboards.projectId, projectId))
    .all();
  return rows.length;
}

export async function createDashboard(
  db: D1Database,
  projectId: string,
  createdBy: string,
  body: DashboardBody,
): Promise<DashboardOut> {
  const row = await drizzle(db)
    .insert(dashboards)
    .values({ id: newId("dash"), projectId, name: body.name, visualizations: body.visualizations, createdBy })
    .returning()
    .get();
  return out(row, false);
}

export async function listDashboards(db: D1Database, projectId: string): Promise<DashboardOut[]> {
  const [rows, shares] = await Promise.all([
    drizzle(db)
      .select()
      .from(dashboards)
      .where(eq(dashboards.projectId, projectId))
      .orderBy(desc(dashboards.updatedAt))
      .all(),
    liveShareCount(db, projectId),
  ]);
  return rows.map((r) => out(r, (shares.get(r.id) ?? 0) > 0));
}

export async function findDashboardRow(db: D1Database, projectId: string, id: string): Promise<DashboardRow | null> {
  return (
    (await drizzle(db)
      .select()
      .from(dashboards)
      .where(and(eq(dashboards.projectId, projectId), eq(dashboards.id, id)))
      .get()) ?? null
  );
}

export async function getDashboard(db: D1Database, projectId: string, id: string): Promise<DashboardOut | null> {
  const row = await findDashboardRow(db, projectId, id);
  if (!row) return null;
  const shares = await liveShareCount(db, projectId, id);
  return out(row, (shares.get(id) ?? 0) > 0);
}

export async function replaceDashboard(
  db: D1Database,
  projectId: string,
  id: string,
  body: DashboardBody,
): Promise<DashboardOut | null> {
  const row = await drizzle(db)
    .update(dashboards)
    .set({ name: body.name, visualizations: body.visualizations, updatedAt: new Date().toISOString() })
    .where(and(eq(dashboards.projectId, projectId), eq(dashboards.id, id)))
    .returning()
    .get();
  if (!row) return null;
  const shares = await liveShareCount(db, projectId, id);
  return out(row, (shares.get(id) ?? 0) > 0);
}

/** Deletes the dashboard and revokes its share links (they answer 404 at once). */
export async function deleteDashboard(db: D1Database, projectId: string, id: string): Promise<boolean> {
  const d = drizzle(db);
  const now = new Date().toISOString();
  const [deleted] = await d.batch([
    d
      .delete(dashboards)
      .where(and(eq(dashboards.projectId, projectId), eq(dashboards.id, id)))
      .returning({ id: dashboards.id }),
    d
      .update(dashboardShares)
      .set({ revokedAt: now })
      .where(
        and(
          eq(dashboardShares.projectId, projectId),
          eq(dashboardShares.dashboardId, id),
          isNull(dashboardShares.revokedAt),
        ),
      ),
  ]);
  return deleted.length > 0;
}

export async function createShare(
  db: D1Database,
  projectId: string,
  dashboardId: string,
  createdBy: string,
  tokenHash: string,
): Promise<{ id: string; createdAt: string }> {
  const row = await drizzle(db)
    .insert(dashboardShares)
    .values({ id: newId("shr"), tokenHash, projectId, dashboardId, createdBy })
    .returning()
    .get();
  return { id: row.id, createdAt: row.createdAt };
}

/** The live share links of a dashboard (ids and times, never tokens). */
export async function listShares(db: D1Database, projectId: string, dashboardId: string) {
  return drizzle(db)
    .select({ id: dashboardShares.id, created_at: dashboardShares.createdAt, created_by: dashboardShares.createdBy })
    .from(dashboardShares)
    .where(
      and(
        eq(dashboardShares.projectId, projectId),
        eq(dashboardShares.dashboardId, dashboardId),
        isNull(dashboardShares.revokedAt),
      ),
    )
    .all();
}

/**
 * Revokes the share link of `dashboardId` named by its token's hash or by its share id.
 * Returns the share id, or null when there is no live link of that dashboard.
 */
export async function revokeShare(
  db: D1Database,
  projectId: string,
  dashboardId: string,
  match: { tokenHash: string } | { id: string },
): Promise<string | null> {
  const row = await drizzle(db)
    .update(dashboardShares)
    .set({ revokedAt: new Date().toISOString() })
    .where(
      and(
        eq(dashboardShares.projectId, projectId),
        eq(dashboardShares.dashboardId, dashboardId),
        isNull(dashboardShares.revokedAt),
        "tokenHash" in match ? eq(dashboardShares.tokenHash, match.tokenHash) : eq(dashboardShares.id, match.id),
      ),
    )
    .returning({ id: dashboardShares.id })
    .get();
  return row?.id ?? null;
}

/** The live share link with this token hash and its dashboard, or null (unknown or revoked). */
export async function resolveShare(
  db: D1Database,
  tokenHash: string,
): Promise<{ shareId: string; projectId: string; createdBy: string; dashboard: DashboardRow } | null> {
  const share = await drizzle(db)
    .select()
    .from(dashboardShares)
    .where(and(eq(dashboardShares.tokenHash, tokenHash), isNull(dashboardShares.revokedAt)))
    .get();
  if (!share) return null;
  const dashboard = await findDashboardRow(db, share.projectId, share.dashboardId);
  return dashboard ? { shareId: share.id, projectId: share.projectId, createdBy: share.createdBy, dashboard } : null;
}
