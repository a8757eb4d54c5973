// Copies each project's new audit entries to R2 as Parquet (hourly, from the cron), then marks them exported.
import { drizzle } from "drizzle-orm/d1";
import { auditFileKey, encodeAuditFile } from "../../shared/access/audit-parquet";
import { projects } from "../../shared/db/schema";
import { auditStub } from "../stubs/audit-log";

/** Entries per file; a project with more new entries gets several files in one run. */
const ENTRIES_PER_FILE = 50_000;
const MAX_FILES_PER_PROJECT_RUN = 4;

/**
 * Writes the project's entries not yet exported, oldest first. A file's name is its seq range, so a run that
 * stops between the put and the mark rewrites the same object next time (no duplicates).
 */
export async function exportAuditLog(env: Pick<Env, "AUDIT_LOG" | "LAKE">, projectId: string): Promise<string[]> {
  const stub = auditStub(env as Env, projectId);
  const written: string[] = [];
  for (let i = 0; i < MAX_FILES_PER_PROJECT_RUN; i++) {
    const entries = await stub.pendingExport(ENTRIES_PER_FILE);
    const last = entries.at(-1);
    if (!last) break;
    const key = auditFileKey(projectId, entries);
    await env.LAKE.put(key, encodeAuditFile(entries), {
      httpMetadata: { contentType: "application/vnd.apache.parquet" },
      customMetadata: { first_seq: String(entries[0]?.seq), last_seq: String(last.seq), head: last.hash },
    });
    await stub.markExported(last.seq);
    written.push(key);
    if (entries.length < ENTRIES_PER_FILE) break;
  }
  return written;
}

/** Every project's export; one project's failure is logged and does not stop the others. */
export async function exportAuditLogs(env: Env): Promise<{ files: number; failed: number }> {
  const all = await drizzle(env.DB).select({ id: projects.id }).from(projects).all();
  let files = 0;
  let failed = 0;
  for (const p of all) {
    try {
      files += (await exportAuditLog(env, p.id)).length;
    } catch (err) {
      failed++;
      console.error(JSON.stringify({ level: "error", msg: "audit export failed", project: p.id, error: String(err) }));
    }
  }
  return { files, failed };
}
