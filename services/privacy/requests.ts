// Erasure and export requests in D1: created by the privacy routes, advanced by their jobs.
import { and, eq } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { privacyRequests } from "../../shared/db/privacy";

export type PrivacyRequest = typeof privacyRequests.$inferSelect;
export type PrivacyRequestPatch = Partial<Omit<PrivacyRequest, "id" | "projectId" | "kind" | "subject">>;

export async function insertRequest(db: D1Database, row: typeof privacyRequests.$inferInsert): Promise<void> {
  await drizzle(db).insert(privacyRequests).values(row).run();
}

export async function getRequest(
  db: D1Database,
  projectId: string,
  id: string,
  kind: PrivacyRequest["kind"],
): Promise<PrivacyRequest | undefined> {
  return drizzle(db)
    .select()
    .from(privacyRequests)
    .where(and(eq(privacyRequests.id, id), eq(privacyRequests.projectId, projectId), eq(privacyRequests.kind, kind)))
    .get();
}

export async function updateRequest(db: D1Database, id: string, patch: PrivacyRequestPatch): Promise<void> {
  await drizzle(db).update(privacyRequests).set(patch).where(eq(privacyRequests.id, id)).run();
}

/** The subject's exports (their objects go with an erasure). */
export async function exportsOf(db: D1Database, projectId: string, subject: string): Promise<PrivacyRequest[]> {
  return drizzle(db)
    .select()
    .from(privacyRequests)
    .where(
      and(
        eq(privacyRequests.projectId, projectId),
        eq(privacyRequests.kind, "export"),
        eq(privacyRequests.subject, subject),
      ),
    )
    .all();
}

/** The newest key destruction of the project (answers cached before it must not be served after it). */
export async function lastKeyDestruction(db: D1Database, projectId: string): Promise<string | null> {
  const row = await db
    .prepare("SELECT max(keys_destroyed_at) AS at FROM privacy_requests WHERE project_id = ? AND kind = 'erasure'")
    .bind(projectId)
    .first<{ at: string | null }>();
  return row?.at ?? null;
}
