// Copies each project's new audit entries to R2 as Parquet (hourly, from the cron), publishes each
// file in the manifest as the admins' `audit` table, then marks the entries exported.
import { drizzle } from "drizzle-orm/d1";
import type { AuditEntry } from "../../shared/access/audit-chain";
import {
  AUDIT_COLUMNS,
  AUDIT_TABLE,
  auditFileKey,
  auditFilePrefix,
  encodeAuditFile,
} from "../../shared/access/audit-parquet";
import { projects } from "../../shared/db/schema";
import { publish } from "../manifest/publish";
import { listFiles } from "../manifest/read";
import { auditStub } from "../stubs/audit-log";

/** Entries per file; a project with more new entries gets several files in one run. */
const ENTRIES_PER_FILE = 50_000;
const MAX_FILES_PER_PROJECT_RUN = 4;

/**
 * Writes the project's entries not yet exported, oldest first. A file's name is its seq range, so a run that
 * stops between the put and the mark rewrites the same object next time (no duplicates).
 */
export async function exportAuditLog(
  env: Pick<Env, "AUDIT_LOG" | "LAKE" | "DB">,
  projectId: string,
): Promise<string[]> {
  const stub = auditStub(env as Env, projectId);
  const written: string[] = [];
  for (let i = 0; i < MAX_FILES_PER_PROJECT_RUN; i++) {
    const entries = await stub.pendingExport(ENTRIES_PER_FILE);
    const last = entries.at(-1);
    if (!last) break;
    const key = auditFileKey(projectId, entries);
    const bytes = encodeAuditFile(entries);
    await env.LAKE.put(key, bytes, {
      httpMetadata: { contentType: "application/vnd.apache.parquet" },
      customMetadata: { first_seq: String(entries[0]?.seq), last_seq: String(last.seq), head: last.hash },
    });
    await publishAuditFile(env.DB, projectId, key, bytes.byteLength, entries);
    await stub.markExported(last.seq);
    written.push(key);
    if (entries.length < ENTRIES_PER_FILE) break;
  }
  return written;
}

/**
 * Lists the file in the `audit` table. A run that stopped after publishing but before marking the
 * entries exported wrote a file from the same first seq (now with more entries): it is replaced in
 * the same change, so no entry is ever counted twice. Publishing the same key again changes nothing.
 */
async function publishAuditFile(
  db: D1Database,
  projectId: string,
  key: string,
  bytes: number,
  entries: readonly AuditEntry[],
): Promise<void> {
  const first = entries[0] as AuditEntry;
  const last = entries.at(-1) as AuditEntry;
  const dt = first.at.slice(0, 10);
  const prefix = auditFilePrefix(projectId, entries);
  const current = await listFiles(db, projectId, { dataset: AUDIT_TABLE, layers: ["audit"], dt });
  if (current.some((f) => f.key === key)) return;
  const earlier = current.filter((f) => f.key.startsWith(prefix));
  await publish(db, {
    kind: "audit",
    projectId,
    commitId: `audit:${key}`,
    remove: earlier.map((f) => f.id),
    add: [
      {
        key,
        dataset: AUDIT_TABLE,
        layer: "audit",
        dt,
        hr: null,
        rows: entries.length,
        bytes,
        minTs: Date.parse(first.at),
        maxTs: Date.parse(last.at),
        columns: [...AUDIT_COLUMNS],
      },
    ],
  });
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
