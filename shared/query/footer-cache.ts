// A small LRU of parsed Parquet footers, to keep across queries in one isolate.
import type { FileMetaData } from "hyparquet";
import type { FooterCache } from "./catalog";

/**
 * Footers of immutable lake files by key, least recently used dropped past `maxEntries`.
 * @example const footers = createFooterCache(2000); await runQuery(sql, catalog, { footerCache: footers })
 */
export function createFooterCache(maxEntries = 1000): FooterCache {
  const entries = new Map<string, FileMetaData>();
  return {
    get(key) {
      const hit = entries.get(key);
      if (hit) {
        entries.delete(key);
        entries.set(key, hit);
      }
      return hit;
    },
    set(key, metadata) {
      entries.delete(key);
      entries.set(key, metadata);
      if (entries.size > maxEntries) entries.delete(entries.keys().next().value as string);
    },
  };
}
