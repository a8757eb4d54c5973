// When an hour's rollup still holds: no file covering the hour entered or left the lake after it was built.
import { HOUR_MS, hourOf } from "./dims";

/** A manifest row as far as validity goes. */
export interface FileSpan {
  minTs: number;
  maxTs: number;
  addedSnapshot: number;
  removedSnapshot: number | null;
}

/** Hour starts a file's time range touches, clipped to [from, to) when given. */
export function hoursOf(f: { minTs: number; maxTs: number }, from: number | null = null, to: number | null = null) {
  const out: number[] = [];
  const first = Math.max(hourOf(f.minTs), from ?? Number.NEGATIVE_INFINITY);
  const last = Math.min(hourOf(f.maxTs), to === null ? Number.POSITIVE_INFINITY : to - HOUR_MS);
  for (let h = first; h <= last; h += HOUR_MS) out.push(h);
  return out;
}

/**
 * Of the built hours (hour → snapshot built at), those still valid given the manifest rows that
 * could have changed them (every row added or removed after the oldest build suffices).
 */
export function validHours(built: Map<number, number>, files: Iterable<FileSpan>): Set<number> {
  const stale = new Set<number>();
  for (const f of files) {
    for (const h of hoursOf(f)) {
      const at = built.get(h);
      if (at === undefined || stale.has(h)) continue;
      if (f.addedSnapshot > at || (f.removedSnapshot !== null && f.removedSnapshot > at)) stale.add(h);
    }
  }
  return new Set([...built.keys()].filter((h) => !stale.has(h)));
}
