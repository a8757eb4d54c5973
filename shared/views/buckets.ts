// Incremental views recompute by time bucket (a UTC day of the view's time column): which buckets a
// set of changed input files touches, and which bucket a result row belongs to.

export const BUCKET_MS = 24 * 3_600_000;

export const bucketOf = (ms: number) => Math.floor(ms / BUCKET_MS) * BUCKET_MS;

/** The UTC day (YYYY-MM-DD) of a bucket, the `dt` of the view's file for it. */
export const bucketDay = (bucket: number) => new Date(bucket).toISOString().slice(0, 10);

/** Every bucket a file's [minTs, maxTs] spans. Files with no time (0, 0) count as the epoch's bucket. */
export function bucketsOfRange(minTs: number, maxTs: number): number[] {
  const out: number[] = [];
  for (let b = bucketOf(minTs); b <= maxTs; b += BUCKET_MS) out.push(b);
  return out.length > 0 ? out : [bucketOf(minTs)];
}

/** The buckets any of these files (added or removed since the last build) touches, in time order. */
export function changedBuckets(files: readonly { minTs: number; maxTs: number }[]): number[] {
  const all = new Set<number>();
  for (const f of files) for (const b of bucketsOfRange(f.minTs, f.maxTs)) all.add(b);
  return [...all].sort((a, b) => a - b);
}

/** True when a file's time range meets one of the buckets (sorted). */
export function fileMeetsBuckets(file: { minTs: number; maxTs: number }, buckets: readonly number[]): boolean {
  return buckets.some((b) => file.maxTs >= b && file.minTs < b + BUCKET_MS);
}

/** A time column's value (Date or epoch ms) in ms, or null. */
export function timeValue(v: unknown): number | null {
  if (v === null || v === undefined) return null;
  if (v instanceof Date) return v.getTime();
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
}
