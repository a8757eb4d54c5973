// One id per distinct string for a whole query, so grouping, joins, DISTINCT and window partitions
// key on integers. Hashing a string freshly decoded from a page is the engine's dearest step (a
// probe into a large table per dictionary entry); here each dictionary entry is hashed once per
// query, even when two scans of the query read the same file (the ids are kept per column chunk).
import type { Vec } from "./vector";

/** Per-chunk id arrays are kept while they hold at most this many entries in all (4 bytes each). */
const KEPT_ENTRIES = 2_000_000;

export class StringInterner {
  /** The string of each id. */
  readonly values: string[] = [];
  /**
   * Open addressing over typed arrays: slot i holds (hash, id) at [2i, 2i + 1], id -1 empty. Each
   * string's UTF-16 units are also kept packed (`units` from `starts[id]` to `starts[id + 1]`), so a
   * probe compares against contiguous memory instead of a string object somewhere in the heap:
   * measured ~1.7× faster than a Map on freshly decoded strings.
   */
  private slots = new Int32Array(2048).fill(-1);
  private mask = 1023;
  private hashes = new Int32Array(1024);
  private units = new Uint16Array(16_384);
  private starts = new Int32Array(1025);
  /** Per string dictionary: each entry's id, -1 until asked. */
  private readonly byDict = new WeakMap<Vec, Int32Array>();
  /** Which column chunk a dictionary was read from (see `tag`). */
  private readonly tags = new WeakMap<Vec, string>();
  private readonly byTag = new Map<string, Int32Array>();
  private kept = 0;
  private snapshot: Vec | null = null;
  private readonly snapshots = new WeakSet<Vec>();

  /** The string being looked up, as UTF-16 units (read once, for the hash and the comparison). */
  private scratch = new Uint16Array(256);

  /** The id of a string, made when new. */
  idOf(s: string): number {
    const h = this.load(s);
    const i = this.slotOf(h, s.length);
    const id = this.slots[2 * i + 1] as number;
    return id < 0 ? this.add(s, h, i) : id;
  }

  /** The id of a string if it has one, else -1 (probing never grows the table). */
  find(s: string): number {
    const i = this.slotOf(this.load(s), s.length);
    return this.slots[2 * i + 1] as number;
  }

  /** The slot holding the string just loaded into scratch (hash `h`), or the empty slot where it would go. */
  private slotOf(h: number, length: number): number {
    const slots = this.slots;
    const mask = this.mask;
    let i = h & mask;
    for (;;) {
      const id = slots[2 * i + 1] as number;
      if (id < 0 || (slots[2 * i] === h && this.same(id, length))) return i;
      i = (i + 1) & mask;
    }
  }

  /**
   * Copy a string's units into `scratch` and hash them: FNV-1a, then a finalizer so the low bits
   * (the slot) depend on every unit.
   */
  private load(s: string): number {
    const n = s.length;
    if (n > this.scratch.length) this.scratch = new Uint16Array(Math.max(n, this.scratch.length * 2));
    const scratch = this.scratch;
    let h = 0x811c9dc5 | 0;
    for (let k = 0; k < n; k++) {
      const u = s.charCodeAt(k);
      scratch[k] = u;
      h = Math.imul(h ^ u, 0x01000193);
    }
    h ^= h >>> 16;
    h = Math.imul(h, 0x7feb352d);
    return (h ^ (h >>> 15)) & 0x7fffffff;
  }

  /** Whether id's string equals the `n` units in `scratch`. */
  private same(id: number, n: number): boolean {
    const from = this.starts[id] as number;
    if ((this.starts[id + 1] as number) - from !== n) return false;
    const units = this.units;
    const scratch = this.scratch;
    for (let k = 0; k < n; k++) if (units[from + k] !== scratch[k]) return false;
    return true;
  }

  private add(s: string, h: number, slot: number): number {
    const id = this.values.length;
    // A copy: V8 may keep a decoded string as a slice of its whole page.
    this.values.push(s.length > 12 ? ` ${s}`.slice(1) : s);
    if (id + 1 >= this.hashes.length) {
      const hashes = new Int32Array(this.hashes.length * 2);
      hashes.set(this.hashes);
      this.hashes = hashes;
      const starts = new Int32Array(this.hashes.length + 1);
      starts.set(this.starts);
      this.starts = starts;
    }
    this.hashes[id] = h;
    const from = this.starts[id] as number;
    if (from + s.length > this.units.length) {
      const units = new Uint16Array(Math.max(this.units.length * 2, from + s.length));
      units.set(this.units);
      this.units = units;
    }
    const units = this.units;
    const scratch = this.scratch;
    for (let k = 0; k < s.length; k++) units[from + k] = scratch[k] as number;
    this.starts[id + 1] = from + s.length;
    this.slots[2 * slot] = h;
    this.slots[2 * slot + 1] = id;
    if (2 * this.values.length > this.mask + 1) this.rehash();
    return id;
  }

  private rehash(): void {
    const size = 2 * (this.mask + 1);
    const slots = new Int32Array(2 * size).fill(-1);
    const mask = size - 1;
    for (let id = 0; id < this.values.length; id++) {
      const h = this.hashes[id] as number;
      let i = h & mask;
      while ((slots[2 * i + 1] as number) >= 0) i = (i + 1) & mask;
      slots[2 * i] = h;
      slots[2 * i + 1] = id;
    }
    this.slots = slots;
    this.mask = mask;
  }

  /**
   * The interned strings as a dictionary (codes = ids), so grouped keys and concatenated window rows
   * stay codes downstream; its entries' ids are the codes themselves.
   */
  dictionary(codes?: ArrayLike<number>): Vec {
    const n = this.values.length;
    // The last snapshot serves while it holds every id the codes use: a join's build column keeps
    // coding into it while the probe or grouping downstream interns more (a copy per batch of a
    // dictionary of every string so far made the 100k-row join superlinear in the events).
    if (this.snapshot && (this.snapshot.n === n || (codes && maxOf(codes) < this.snapshot.n))) return this.snapshot;
    const dict: Vec = { kind: "str", n, values: this.values.slice() };
    const identity = new Int32Array(n);
    for (let i = 0; i < n; i++) identity[i] = i;
    this.byDict.set(dict, identity);
    this.snapshot = dict;
    this.snapshots.add(dict);
    return dict;
  }

  /** Whether a dictionary is one of this interner's (distinct strings, no NULL: codes are values). */
  owns(dict: Vec): boolean {
    return this.snapshots.has(dict);
  }

  /** Mark a dictionary as the one of a given column chunk: a later read of that chunk reuses its ids. */
  tag(dict: Vec, key: string): void {
    this.tags.set(dict, key);
  }

  /**
   * Per entry of a string dictionary, its id (-1 until resolved: call `resolve`). Entries are resolved
   * as rows use them, so a filtered batch does not pay for its whole dictionary.
   */
  entries(dict: Vec): Int32Array {
    let ids = this.byDict.get(dict);
    if (ids) return ids;
    const tag = this.tags.get(dict);
    ids = tag === undefined ? undefined : this.byTag.get(tag);
    if (!ids || ids.length !== dict.n) {
      ids = new Int32Array(dict.n).fill(-1);
      if (tag !== undefined && this.kept + dict.n <= KEPT_ENTRIES) {
        this.byTag.set(tag, ids);
        this.kept += dict.n;
      }
    }
    this.byDict.set(dict, ids);
    return ids;
  }

  /** Entry c's id (a string entry; NULL entries are the caller's to skip), resolving it on first use. */
  resolve(ids: Int32Array, dict: Vec, c: number): number {
    let id = ids[c] as number;
    if (id < 0) {
      id = this.idOf((dict as { values: string[] }).values[c] as string);
      ids[c] = id;
    }
    return id;
  }

  /**
   * Entry c's id when its string already has one, else -1 without making one: a join's probe side
   * can only match strings its build side interned, so its misses need not grow the table.
   */
  lookup(ids: Int32Array, dict: Vec, c: number): number {
    let id = ids[c] as number;
    if (id < 0) {
      id = this.find((dict as { values: string[] }).values[c] as string);
      if (id >= 0) ids[c] = id;
    }
    return id;
  }
}

function maxOf(codes: ArrayLike<number>): number {
  let max = -1;
  for (let i = 0; i < codes.length; i++) if ((codes[i] as number) > max) max = codes[i] as number;
  return max;
}

/** Whether a vector's values are dictionary codes into strings (what the interner keys). */
export function isStringDict(v: Vec): v is Extract<Vec, { kind: "dict" }> & { dict: { kind: "str" } } {
  return v.kind === "dict" && v.dict.kind === "str";
}
