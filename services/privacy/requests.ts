// Erasure and export requests in D1: created by the privacy routes, advanced by their jobs.
import { and, eq, inArray, max } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { chunked } from "../../shared/collections";
import { privacyRequests } from "../../shared/db/privacy";
import { type BatchedRead, statementRead } from "../d1/batched-read";

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

/**
 * The newest key destruction of the project (answers cached before it must not be served after it),
 * as a read to batch with the rest of the privacy policy.
 */
export function lastKeyDestructionRead(db: D1Database, projectId: string): BatchedRead<string | null> {
  const newest = drizzle(db)
    .select({ at: max(privacyRequests.keysDestroyedAt) })
    .from(privacyRequests)
    .where(and(eq(privacyRequests.projectId, projectId), eq(privacyRequests.kind, "erasure")));
  return statementRead(newest, (rows) => rows[0]?.at ?? null);
}

/** The latest erasure request time (epoch ms) of each of these subjects that has one. */
export async function erasedAt(db: D1Database, projectId: string, subjects: string[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const part of chunked([...new Set(subjects)], 90)) {
    const rows = await drizzle(db)
      .select({ subject: privacyRequests.subject, at: max(privacyRequests.requestedAt) })
      .from(privacyRequests)
      .where(
        and(
          eq(privacyRequests.projectId, projectId),
          eq(privacyRequests.kind, "erasure"),
          inArray(privacyRequests.subject, part),
        ),
      )
      .groupBy(privacyRequests.subject)
      .all();
    for (const r of rows) if (r.at) out.set(r.subject, Date.parse(r.at));
  }
  return out;
}
