// The views' D1 rows: definitions with their schedule and build state, and their runs.
import { and, asc, desc, eq, isNotNull, lte } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { type ViewRunStatus, viewRuns, views } from "../../shared/db/views";
import { type BatchedRead, readAlone, statementRead } from "../d1/batched-read";

export type ViewRow = typeof views.$inferSelect;
export type ViewRunRow = typeof viewRuns.$inferSelect;

export async function getView(db: D1Database, projectId: string, name: string): Promise<ViewRow | undefined> {
  return drizzle(db)
    .select()
    .from(views)
    .where(and(eq(views.projectId, projectId), eq(views.name, name)))
    .get();
}

export async function listViews(db: D1Database, projectId: string): Promise<ViewRow[]> {
  return readAlone(db, listViewsRead(db, projectId));
}

/** The project's views by name, as a read to batch with others (every query checks them). */
export function listViewsRead(db: D1Database, projectId: string): BatchedRead<ViewRow[]> {
  const all = drizzle(db).select().from(views).where(eq(views.projectId, projectId)).orderBy(asc(views.name));
  return statementRead(all, (rows) => rows);
}

/** Views on a schedule whose next run is due at `now`, every project (for the cron). */
export async function dueViews(db: D1Database, now: Date): Promise<Pick<ViewRow, "projectId" | "name">[]> {
  return drizzle(db)
    .select({ projectId: views.projectId, name: views.name })
    .from(views)
    .where(and(isNotNull(views.nextRunAt), lte(views.nextRunAt, now.toISOString())))
    .all();
}

/**
 * Creates or replaces a definition. A changed definition gets a new version and drops any
 * resumable build of the old one (the next run rebuilds the whole view).
 */
export async function saveView(
  db: D1Database,
  row: Omit<ViewRow, "version" | "builtSnapshot" | "builtVersion" | "pending" | "createdAt" | "updatedAt">,
): Promise<{ view: ViewRow; created: boolean }> {
  const existing = await getView(db, row.projectId, row.name);
  const d = drizzle(db);
  const now = new Date().toISOString();
  if (!existing) {
    const view = await d.insert(views).values(row).returning().get();
    return { view, created: true };
  }
  const same =
    existing.sql === row.sql &&
    existing.mode === row.mode &&
    (existing.timeColumn ?? null) === (row.timeColumn ?? null);
  const view = await d
    .update(views)
    .set({
      ...row,
      version: same ? existing.version : existing.version + 1,
      pending: same ? existing.pending : null,
      updatedAt: now,
    })
    .where(and(eq(views.projectId, row.projectId), eq(views.name, row.name)))
    .returning()
    .get();
  return { view, created: false };
}

export async function deleteView(db: D1Database, projectId: string, name: string): Promise<void> {
  const d = drizzle(db);
  await d.batch([
    d.delete(views).where(and(eq(views.projectId, projectId), eq(views.name, name))),
    d.delete(viewRuns).where(and(eq(viewRuns.projectId, projectId), eq(viewRuns.view, name))),
  ]);
}

export async function updateView(
  db: D1Database,
  projectId: string,
  name: string,
  set: Partial<Pick<ViewRow, "builtSnapshot" | "builtVersion" | "pending" | "nextRunAt">>,
): Promise<void> {
  await drizzle(db)
    .update(views)
    .set(set)
    .where(and(eq(views.projectId, projectId), eq(views.name, name)))
    .run();
}

export async function startRun(
  db: D1Database,
  run: Pick<ViewRunRow, "id" | "projectId" | "view" | "jobId" | "mode" | "inputSnapshot">,
): Promise<void> {
  await drizzle(db)
    .insert(viewRuns)
    .values({ ...run, status: "running" })
    .run();
}

export async function finishRun(
  db: D1Database,
  id: string,
  outcome: { status: ViewRunStatus } & Partial<
    Pick<ViewRunRow, "publishedSnapshot" | "buckets" | "rows" | "files" | "bytes" | "durationMs" | "error">
  >,
): Promise<void> {
  await drizzle(db)
    .update(viewRuns)
    .set({ ...outcome, finishedAt: new Date().toISOString() })
    .where(eq(viewRuns.id, id))
    .run();
}

export async function listRuns(db: D1Database, projectId: string, name: string, limit: number): Promise<ViewRunRow[]> {
  return drizzle(db)
    .select()
    .from(viewRuns)
    .where(and(eq(viewRuns.projectId, projectId), eq(viewRuns.view, name)))
    .orderBy(desc(viewRuns.startedAt), desc(viewRuns.id))
    .limit(limit)
    .all();
}
