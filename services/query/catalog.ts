// The engine's catalog over one project's manifest (D1) and objects (R2), at a snapshot or now.
import type { TarnVars } from "../../shared/config";
import { TarnError } from "../../shared/errors";
import { EVENT_LAYERS, OWN_TABLE_LAYERS } from "../../shared/lake/partition";
import type { FileFilter, FileRef, QueryCatalog } from "../../shared/query";
import type { ValueGuard } from "../../shared/query/catalog";
import { queryFileBuffer } from "../lake-objects/query-bytes";
import { countFiles, listFiles } from "../manifest/read";
import { atSnapshot } from "./current-lake-memo";

export interface ProjectCatalog extends QueryCatalog {
  /** Files of the tables the query named, before the manifest's time pruning. */
  readonly filesInTables: number;
  /** Files the manifest query returned. */
  readonly filesListed: number;
}

export function projectCatalog(
  env: Pick<Env, "DB" | "LAKE"> & TarnVars,
  projectId: string,
  snapshot?: number,
  guard?: ValueGuard,
  /** The latest snapshot, when the query reads the current lake: its listings are kept per snapshot. */
  currentVersion?: number,
): ProjectCatalog {
  const sizes = new Map<string, number>();
  let filesInTables = 0;
  let filesListed = 0;
  return {
    guard,
    get filesInTables() {
      return filesInTables;
    },
    get filesListed() {
      return filesListed;
    },
    async listFiles(table: string, filter: FileFilter): Promise<FileRef[] | null> {
      const dataset = table === "events" ? undefined : table;
      // `events` is every event type; uploads and views are tables of their own, never in it.
      const layers = dataset === undefined ? EVENT_LAYERS : undefined;
      // Both reads at once (one round trip's wait); a table of its own's files are listed whole (the
      // manifest's time range is the lake's `ts`).
      const read = () =>
        Promise.all([
          countFiles(env.DB, projectId, { dataset, snapshot, layers }),
          listFiles(env.DB, projectId, { dataset, layers, minTs: filter.minTs, maxTs: filter.maxTs, snapshot }),
        ]);
      const [inTable, listed] =
        snapshot === undefined && currentVersion !== undefined
          ? await atSnapshot(
              ["files", projectId, currentVersion, table, filter.minTs ?? "", filter.maxTs ?? ""].join("\0"),
              read,
              ([, files]) => files.length,
            )
          : await read();
      // An event type with no files is not a table (yet): the engine reports it by name.
      if (dataset !== undefined && inTable === 0) return null;
      filesInTables += inTable;
      // An event type may share a table of its own's name (`audit`): the plain name is the latter.
      const own = listed.some((f) => OWN_TABLE_LAYERS.includes(f.layer));
      const files = own ? listed.filter((f) => OWN_TABLE_LAYERS.includes(f.layer)) : listed;
      const wanted = filter.eventTypes && !own ? new Set(filter.eventTypes) : null;
      const refs = files.filter((f) => !wanted || wanted.has(f.dataset));
      const collected = refs.filter((f) => f.deletedAt !== null).length;
      if (collected > 0) {
        throw new TarnError(
          "GONE",
          `snapshot ${snapshot} can no longer be read: ${collected} of its files were garbage-collected (GC_GRACE_HOURS after they were replaced)`,
          { details: { snapshot, files: collected } },
        );
      }
      filesListed += refs.length;
      for (const f of refs) sizes.set(f.key, f.bytes);
      return refs.map((f) => ({
        key: f.key,
        dataset: f.dataset,
        rows: f.rows,
        minTs: f.minTs,
        maxTs: f.maxTs,
        bytes: f.bytes,
        ...(own ? { own: true as const } : {}),
      }));
    },
    async openFile(key: string) {
      const size = sizes.get(key);
      if (size === undefined) throw new Error(`file ${key} was not listed for this query`);
      return queryFileBuffer(env, key, size);
    },
  };
}
