// The current lake changes only by a new snapshot: what a query read of it at snapshot N (the
// tables' columns, a scan's file listing) holds for every later query that still finds N the
// latest. Kept per isolate, a few dozen reads, so a dashboard's queries between two commits read
// the manifest once. Time travel reads are not kept: erasure may mark an old snapshot's files gone.
const MAX_ENTRIES = 64;
/** A read of more items (files) than this is read again each time rather than held. */
const MAX_KEPT_ITEMS = 20_000;

const kept = new Map<string, Promise<unknown>>();

/**
 * `read()`'s answer for `key` (which names the project and snapshot), read once and shared, frozen
 * so no reader changes it for the next. A failed read is forgotten.
 */
export function atSnapshot<T extends object>(
  key: string,
  read: () => Promise<T>,
  items: (value: T) => number = () => 1,
): Promise<Readonly<T>> {
  const hit = kept.get(key) as Promise<T> | undefined;
  if (hit) {
    kept.delete(key);
    kept.set(key, hit);
    return hit;
  }
  const reading = read().then((value) => {
    if (items(value) > MAX_KEPT_ITEMS) kept.delete(key);
    return Object.freeze(value);
  });
  kept.set(key, reading);
  reading.catch(() => kept.delete(key));
  while (kept.size > MAX_ENTRIES) kept.delete(kept.keys().next().value as string);
  return reading;
}
