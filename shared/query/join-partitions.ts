// A join past its build-side cap runs in hash partitions of its keys (hash-join.ts): how many, the
// refusal past them, and which rows of a side's batch one pass holds.
import { QueryError } from "./errors";
import type { HashPartition } from "./partial";
import { keyHashes } from "./partition-hash";
import { type Batch, gather, gatherBatch, type Vec, valueAt } from "./vector";

/** Partitions are sized to fill this share of the cap: keys hash unevenly (a user's rows go together). */
export const PARTITION_FILL = 0.8;
/** Most passes of a partitioned join: each reads both sides again. */
export const MAX_JOIN_PARTITIONS = 16;

export function tooLarge(maxBuildRows: number, why: string): QueryError {
  return new QueryError(
    "QUERY_TOO_LARGE",
    `The join holds more than ${maxBuildRows} rows of its smaller side in memory ${why}; filter that side more (a time range on ts, an event type) or aggregate it in a subquery before joining`,
  );
}

/**
 * A side's batch and its key vectors, cut to the rows this pass holds. A row with a NULL key never
 * matches: it is dropped unless its outer join keeps it (`keepNullKeys`). In a partition (`part`),
 * a row is kept when its keys hash to the partition; a kept NULL-key row by the hash of all its
 * columns instead, so NULL keys spread over the partitions rather than all landing in one, and each
 * row still lands in exactly one (the hash depends only on the row, whatever order a pass reads in).
 */
export function cut(
  batch: Batch,
  keys: Vec[],
  part: HashPartition | null,
  keepNullKeys: boolean,
): { batch: Batch; keys: Vec[] } {
  const n = batch.n;
  const nullKey = new Uint8Array(n);
  let nulls = 0;
  for (const k of keys) {
    for (let i = 0; i < n; i++) {
      if (!nullKey[i] && valueAt(k, i) === null) {
        nullKey[i] = 1;
        nulls++;
      }
    }
  }
  if (!part && (nulls === 0 || keepNullKeys)) return { batch, keys };
  let hashes: Uint32Array | null = null;
  let rowHashes: Uint32Array | null = null;
  if (part) {
    hashes = keyHashes(keys, n);
    if (nulls > 0 && keepNullKeys)
      rowHashes = keyHashes(
        batch.cols.filter((c): c is Vec => c !== undefined),
        n,
      );
  }
  const sel = new Int32Array(n);
  let count = 0;
  for (let i = 0; i < n; i++) {
    if (nullKey[i]) {
      if (!keepNullKeys) continue;
      if (part && (rowHashes?.[i] as number) % part.count !== part.index) continue;
    } else if (part && (hashes?.[i] as number) % part.count !== part.index) continue;
    sel[count++] = i;
  }
  return { batch: gatherBatch(batch, sel, count), keys: keys.map((k) => gather(k, sel, count)) };
}
