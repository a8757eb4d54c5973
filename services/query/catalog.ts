// The engine's catalog over one project's manifest (D1) and objects (R2), at a snapshot or now.
import { and, eq, sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { lakeFiles } from "../../shared/db/lake";
import type { FileFilter, FileRef, QueryCatalog } from "../../shared/query";
import { r2AsyncBuffer } from "../lake-objects/r2-buffer";
import { listFiles, liveAt } from "../manifest/read";

export interface ProjectCatalog extends QueryCatalog {
  /** Files of the tables the query named, before the manifest's time pruning. */
  readonly filesInTables: number;
  /** Files the manifest query returned. */
  readonly filesListed: number;
}

/** Dataset names the project has (at the snapshot): the per-event-type tables. */
export async function datasetsOf(db: D1Database, projectId: string, snapshot?: number): Promise<string[]> {
  const rows = await drizzle(db)
    .selectDistinct({ dataset: lakeFiles.dataset })
    .from(lakeFiles)
    .where(liveAt(projectId, snapshot))
    .all();
  return rows.map((r) => r.dataset);
}

export function projectCatalog(env: Pick<Env, "DB" | "LAKE">, projectId: string, snapshot?: number): ProjectCatalog {
  const sizes = new Map<string, number>();
  let filesInTables = 0;
  let filesListed = 0;
  return {
    get filesInTables() {
      return filesInTables;
    },
    get filesListed() {
      return filesListed;
    },
    async listFiles(table: string, filter: FileFilter): Promise<FileRef[] | null> {
      const dataset = table === "events" ? undefined : table;
      const [all] = await drizzle(env.DB)
        .select({ n: sql<number>`count(*)` })
        .from(lakeFiles)
        .where(and(liveAt(projectId, snapshot), dataset === undefined ? undefined : eq(lakeFiles.dataset, dataset)))
        .all();
      if (dataset !== undefined && (all?.n ?? 0) === 0) {
        // An event type with no files is not a table (yet): the engine reports it by name.
        return null;
      }
      filesInTables += all?.n ?? 0;
      const files = await listFiles(env.DB, projectId, { dataset, minTs: filter.minTs, maxTs: filter.maxTs, snapshot });
      const wanted = filter.eventTypes ? new Set(filter.eventTypes) : null;
      const refs = files.filter((f) => !wanted || wanted.has(f.dataset));
      filesListed += refs.length;
      for (const f of refs) sizes.set(f.key, f.bytes);
      return refs.map((f) => ({
        key: f.key,
        dataset: f.dataset,
        rows: f.rows,
        minTs: f.minTs,
        maxTs: f.maxTs,
        bytes: f.bytes,
      }));
    },
    async openFile(key: string) {
      const size = sizes.get(key);
      if (size === undefined) throw new Error(`file ${key} was not listed for this query`);
      return r2AsyncBuffer(env.LAKE, key, size);
    },
  };
}
