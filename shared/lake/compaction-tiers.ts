// Which small silver files of one event day a minor compaction merges: size-tiered, as LSM stores do.
// Merging every small file each time a little arrives rewrites the day's rows again and again
// (14 rows rewritten per row a shuffled backfill landed, on the thread that also lands).
// Taking the smallest files, and a larger one only while it is at most TIER_RATIO times what is taken
// so far, rewrites a row only when its file at least grows by that much: each row is rewritten
// O(log n) times. The settling compaction after the burst merges the day's small files whole.

/** A file joins a minor merge when it holds at most this many times the rows of those taken before it. */
export const TIER_RATIO = 2;

/** The files to merge (two or more, smallest first), or none when no two are of a tier. */
export function tierToMerge<F extends { rows: number }>(files: readonly F[]): F[] {
  const sorted = [...files].sort((a, b) => a.rows - b.rows);
  const taken: F[] = [];
  let rows = 0;
  for (const f of sorted) {
    if (taken.length > 0 && f.rows > rows * TIER_RATIO) break;
    taken.push(f);
    rows += f.rows;
  }
  return taken.length >= 2 ? taken : [];
}
