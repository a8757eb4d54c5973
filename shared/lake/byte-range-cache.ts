// Byte ranges of immutable lake objects kept in memory, least recently used first out, within a
// byte budget. A lake file's key is never written twice with other bytes (each write names a new
// file), so a range read once may answer any later read inside it: a dashboard's next refresh after
// a commit misses the answer cache (the snapshot moved) but finds most of its files' bytes here.
// A file that leaves the lake (compacted, erased) is no longer listed to any query, so its ranges
// are never served again; they age out.

interface Entry {
  key: string;
  start: number;
  bytes: ArrayBuffer;
}

export interface ByteRangeCacheStats {
  hits: number;
  misses: number;
  /** Bytes held now. */
  bytes: number;
}

export class ByteRangeCache {
  /** Entries by object key; the Map below holds the same entries in least-recent-first order. */
  private readonly byKey = new Map<string, Entry[]>();
  private readonly lru = new Map<Entry, true>();
  private held = 0;
  private hits = 0;
  private misses = 0;

  /**
   * @param budgetBytes what all entries may hold together (0 keeps nothing)
   * @param largestEntry a range larger than this is not kept: it would push out many small ones
   */
  constructor(
    readonly budgetBytes: number,
    readonly largestEntry = Math.floor(budgetBytes / 4),
  ) {}

  /** A copy of [start, end) of `key` when a kept range holds it (readers may keep or detach it). */
  get(key: string, start: number, end: number): ArrayBuffer | undefined {
    const entry = this.byKey.get(key)?.find((e) => e.start <= start && e.start + e.bytes.byteLength >= end);
    if (!entry) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    this.lru.delete(entry);
    this.lru.set(entry, true);
    return entry.bytes.slice(start - entry.start, end - entry.start);
  }

  /** Keeps a copy of `bytes`, read from `key` at `start`, pushing out the least recently used. */
  set(key: string, start: number, bytes: ArrayBuffer): void {
    const size = bytes.byteLength;
    if (size === 0 || size > this.largestEntry || size > this.budgetBytes) return;
    const list = this.byKey.get(key) ?? [];
    // A range already held (or inside one held) adds nothing.
    if (list.some((e) => e.start <= start && e.start + e.bytes.byteLength >= start + size)) return;
    const entry = { key, start, bytes: bytes.slice(0) };
    list.push(entry);
    this.byKey.set(key, list);
    this.lru.set(entry, true);
    this.held += size;
    while (this.held > this.budgetBytes) {
      const oldest = this.lru.keys().next().value as Entry;
      this.drop(oldest);
    }
  }

  get stats(): ByteRangeCacheStats {
    return { hits: this.hits, misses: this.misses, bytes: this.held };
  }

  private drop(entry: Entry): void {
    this.lru.delete(entry);
    this.held -= entry.bytes.byteLength;
    const list = (this.byKey.get(entry.key) ?? []).filter((e) => e !== entry);
    if (list.length > 0) this.byKey.set(entry.key, list);
    else this.byKey.delete(entry.key);
  }
}
