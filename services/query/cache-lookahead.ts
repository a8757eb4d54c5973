// The answer cache's key, and its lookup ahead of the reads that confirm it: a query's key needs the
// latest snapshot and the asker's privacy view, read from D1 first; the isolate remembers what its
// last query of the project found, and the lookup under that guess runs beside the D1 read.
import type { RowFilters } from "../../shared/query/row-filters";
import { type AnswerKey, type CachedAnswer, cachedAnswer } from "./result-cache";

/** Functions whose answer depends on the clock: such a query is never answered from cache. */
const CLOCK = /\b(now|current_timestamp|current_date|today)\b/i;

/** The answer cache's key of a query, or null when its answer depends on the clock. */
export function answerKey(
  projectId: string,
  sql: string,
  at: { version: number; pinned: boolean; view: string },
  rowFilters: RowFilters | undefined,
): AnswerKey | null {
  if (CLOCK.test(sql)) return null;
  return {
    projectId,
    version: at.version,
    pinned: at.pinned,
    sql: sql.trim(),
    // A filtered answer is only ever served to someone bound by the same filters and identity.
    ...(rowFilters ? { scope: JSON.stringify(rowFilters) } : {}),
    view: at.view,
  };
}

/**
 * Per isolate, the latest snapshot and privacy view (policy fingerprint) the last query of a project
 * found, by whether it unmasked. Between two commits a dashboard's next query will find the same, so
 * its answer cache lookup starts beside the reads that confirm them instead of after them.
 */
const lastFound = new Map<string, { version: number; view: string }>();
const MAX_LAST_FOUND = 1000;
const foundKey = (projectId: string, unmask: boolean) => `${projectId}\0${unmask}`;

/**
 * The cache lookup under the key the query would have if the snapshot and privacy view are still
 * those last found; `key` is checked against the real one before the lookup is used.
 */
export function cacheLookupAhead(
  projectId: string,
  unmask: boolean,
  sql: string,
  filtersRead: Promise<RowFilters | undefined>,
): Promise<{ key: string; answer: Promise<CachedAnswer | null> }> | undefined {
  const last = lastFound.get(foundKey(projectId, unmask));
  if (!last) return undefined;
  const ahead = filtersRead.then((filters) => {
    const key = answerKey(projectId, sql, { ...last, pinned: false }, filters);
    const answer = key ? cachedAnswer(key) : Promise.resolve(null);
    answer.catch(() => {}); // unused when the guess was wrong
    return { key: JSON.stringify(key), answer };
  });
  ahead.catch(() => {}); // its failure is filtersRead's, thrown where that is awaited
  return ahead;
}

/** What a query of the project, unmasking or not, just found. */
export function rememberFound(projectId: string, unmask: boolean, at: { version: number; view: string }): void {
  const found = foundKey(projectId, unmask);
  if (lastFound.size >= MAX_LAST_FOUND && !lastFound.has(found)) lastFound.clear();
  lastFound.set(found, at);
}
