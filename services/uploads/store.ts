// The uploads' D1 rows: where a file's bytes are, its R2 parts, and its conversion checkpoint.
import { and, asc, eq } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { uploadParts, uploads } from "../../shared/db/datasets";
import { EVENT_LAYERS } from "../../shared/lake/partition";
import { getHead } from "../contracts/store";
import { countFiles } from "../manifest/read";

export type UploadRow = typeof uploads.$inferSelect;
export type NewUpload = typeof uploads.$inferInsert;

/** Where a file's source bytes live while it is converted: beside the lake, never a table's file. */
export function sourceKey(projectId: string, uploadId: string): string {
  return `uploads/${projectId}/${uploadId}/source`;
}

export async function insertUpload(db: D1Database, row: NewUpload): Promise<void> {
  await drizzle(db).insert(uploads).values(row).run();
}

export async function getUpload(db: D1Database, projectId: string, id: string): Promise<UploadRow | undefined> {
  return drizzle(db)
    .select()
    .from(uploads)
    .where(and(eq(uploads.id, id), eq(uploads.projectId, projectId)))
    .get();
}

export async function updateUpload(db: D1Database, id: string, set: Partial<NewUpload>): Promise<void> {
  await drizzle(db).update(uploads).set(set).where(eq(uploads.id, id)).run();
}

export async function recordPart(db: D1Database, uploadId: string, part: number, etag: string, bytes: number) {
  await drizzle(db)
    .insert(uploadParts)
    .values({ uploadId, part, etag, bytes })
    .onConflictDoUpdate({ target: [uploadParts.uploadId, uploadParts.part], set: { etag, bytes } })
    .run();
}

export async function partsOf(db: D1Database, uploadId: string) {
  return drizzle(db)
    .select()
    .from(uploadParts)
    .where(eq(uploadParts.uploadId, uploadId))
    .orderBy(asc(uploadParts.part))
    .all();
}

/**
 * Why `name` cannot be an uploaded dataset of the project, or null: an event type's table (it has
 * event files or a contract) or a view's (gold) cannot be replaced by a file.
 */
export async function nameTakenBy(db: D1Database, projectId: string, name: string): Promise<string | null> {
  if (name.toLowerCase() === "events") return "`events` is the table of all events";
  if ((await countFiles(db, projectId, { dataset: name, layers: EVENT_LAYERS })) > 0) {
    return `"${name}" is an event type's table`;
  }
  if ((await countFiles(db, projectId, { dataset: name, layers: ["gold"] })) > 0) return `"${name}" is a view's table`;
  if (await getHead(db, projectId, name)) return `"${name}" is an event type with a contract`;
  return null;
}
