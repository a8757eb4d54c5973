// Hash grouping: rows → dense group ids. Dictionary columns map each dictionary entry once per batch.
import { isStringDict, type StringInterner } from "./interner";
import { asNum, fromValues, type Vec, valueAt } from "./vector";

/** Dense ids for the values of one key column; NULL gets an id too. */
export class KeyEncoder {
  readonly values: unknown[] = [];
  /** NULL's id, -1 until a NULL is seen. */
  nullId = -1;
  private readonly ids = new Map<unknown, number>();
  private lastDict: Vec | null = null;
  private lastRemap: Int32Array | null = null;
  /** With an interner, strings are keyed by their interned id: this id's local id, -1 none yet. */
  private local: Int32Array = new Int32Array(0);
  /** Per local id, its interned id (-1: NULL or not a string). */
  private readonly interned: number[] = [];

  constructor(private readonly interner?: StringInterner) {}

  idOf(v: unknown): number {
    if (typeof v === "string" && this.interner) return this.localOf(this.interner.idOf(v));
    const key = v !== null && typeof v === "object" ? JSON.stringify(v) : v;
    let id = this.ids.get(key);
    if (id === undefined) {
      id = this.values.length;
      const stored = typeof v === "string" ? flatten(v) : v;
      this.ids.set(typeof key === "string" && key === v ? stored : key, id);
      this.values.push(stored);
      this.interned.push(-1);
      if (v === null) this.nullId = id;
    }
    return id;
  }

  /** The local id of an interned string id. */
  private localOf(interned: number): number {
    if (interned >= this.local.length) {
      const grown = new Int32Array(Math.max(1024, this.local.length * 2, interned + 1)).fill(-1);
      grown.set(this.local);
      this.local = grown;
    }
    let id = this.local[interned] as number;
    if (id < 0) {
      id = this.values.length;
      this.values.push((this.interner as StringInterner).values[interned]);
      this.interned.push(interned);
      this.local[interned] = id;
    }
    return id;
  }

  /**
   * Values of local ids as a vector: with an interner, strings come out as codes into the interner's
   * dictionary (a join or grouping downstream then hashes nothing); NULL is code -1.
   */
  vectorOf(ids: ArrayLike<number>, storage: "num" | "str" | "obj"): Vec {
    const n = ids.length;
    if (this.interner && storage === "str") {
      const codes = new Int32Array(n);
      for (let i = 0; i < n; i++) codes[i] = this.interned[ids[i] as number] as number;
      return { kind: "dict", n, dict: this.interner.dictionary(codes), codes };
    }
    return fromValues(
      storage,
      Array.from(ids, (id) => this.values[id]),
    );
  }

  /** Local ids (-1: NULL) as codes into the interner's dictionary; null without an interner. */
  internedVec(ids: Int32Array, count: number): Vec | null {
    if (!this.interner) return null;
    const codes = new Int32Array(count);
    for (let i = 0; i < count; i++) {
      const id = ids[i] as number;
      codes[i] = id < 0 ? -1 : (this.interned[id] as number);
    }
    return { kind: "dict", n: count, dict: this.interner.dictionary(codes), codes };
  }

  encode(vec: Vec): Int32Array {
    const n = vec.n;
    const out = new Int32Array(n);
    if (this.interner && isStringDict(vec)) return this.encodeInterned(vec, this.interner, out);
    switch (vec.kind) {
      case "const":
        out.fill(this.idOf(vec.value));
        return out;
      case "dict": {
        // Entries get group ids only when a row uses them: a filtered batch keeps the whole dictionary.
        let remap = this.lastDict === vec.dict ? this.lastRemap : null;
        if (!remap) {
          remap = new Int32Array(vec.dict.n).fill(-1);
          this.lastDict = vec.dict;
          this.lastRemap = remap;
        }
        const codes = vec.codes;
        const dict = vec.dict;
        let nullId = -1;
        for (let i = 0; i < n; i++) {
          const c = codes[i] as number;
          if (c >= 0) {
            let id = remap[c] as number;
            if (id < 0) {
              const v = valueAt(dict, c);
              id = remap[c] = this.idOf(v);
            }
            out[i] = id;
          } else {
            if (nullId < 0) nullId = this.idOf(null);
            out[i] = nullId;
          }
        }
        return out;
      }
      case "num": {
        const { values, valid } = asNum(vec);
        const ids = this.ids;
        // Runs of one value (time buckets of time-ordered rows) skip the Map.
        let last = Number.NaN;
        let lastId = -1;
        for (let i = 0; i < n; i++) {
          if (valid && valid[i] === 0) {
            out[i] = this.idOf(null);
            continue;
          }
          const x = values[i] as number;
          if (x === last) {
            out[i] = lastId;
            continue;
          }
          const id = ids.get(x);
          lastId = out[i] = id === undefined ? this.idOf(x) : id;
          last = x;
        }
        return out;
      }
      case "str": {
        // Plain strings (high-cardinality columns are not dictionary-encoded): one Map lookup a row.
        const values = vec.values;
        const ids = this.ids;
        if (this.interner) {
          for (let i = 0; i < n; i++) out[i] = this.idOf(values[i] ?? null);
          return out;
        }
        for (let i = 0; i < n; i++) {
          const s = values[i] ?? null;
          const id = s === null ? undefined : ids.get(s);
          out[i] = id === undefined ? this.idOf(s) : id;
        }
        return out;
      }
      default: {
        for (let i = 0; i < n; i++) out[i] = this.idOf(valueAt(vec, i));
        return out;
      }
    }
  }

  /** A string dictionary through the interner: each entry a row uses costs an array read, no hashing. */
  private encodeInterned(vec: Extract<Vec, { kind: "dict" }>, interner: StringInterner, out: Int32Array): Int32Array {
    const dict = vec.dict;
    let remap = this.lastDict === dict ? this.lastRemap : null;
    if (!remap) {
      remap = new Int32Array(dict.n).fill(-1);
      this.lastDict = dict;
      this.lastRemap = remap;
    }
    const entries = interner.entries(dict);
    const strings = (dict as { values: (string | null)[] }).values;
    const codes = vec.codes;
    for (let i = 0, n = vec.n; i < n; i++) {
      const c = codes[i] as number;
      let id = c < 0 ? -1 : (remap[c] as number);
      if (id < 0) {
        id =
          c < 0 || strings[c] === null || strings[c] === undefined
            ? this.idOf(null)
            : this.localOf(interner.resolve(entries, dict, c));
        if (c >= 0) remap[c] = id;
      }
      out[i] = id;
    }
    return out;
  }
}

/**
 * V8 may keep a short string as a slice of a whole decoded page; a copy lets the page go once
 * the batch is done (group keys outlive their batch).
 */
export function flatten(s: string): string {
  return s.length > 12 ? ` ${s}`.slice(1) : s;
}

/**
 * Dense ids for pairs of non-negative int32s, in order of first appearance: open addressing over
 * typed arrays, so a lookup hashes two integers instead of boxing a composite number for a Map.
 */
export class PairTable {
  /** The pair of id i is (firsts[i], seconds[i]). */
  firsts = new Int32Array(1024);
  seconds = new Int32Array(1024);
  size = 0;
  private slots = new Int32Array(2048).fill(-1);
  private mask = 2047;

  /** The pair's id, and whether it is new (then `size` grew by one). */
  idOf(a: number, b: number): number {
    const slots = this.slots;
    const mask = this.mask;
    let i = hashPair(a, b) & mask;
    for (;;) {
      const id = slots[i] as number;
      if (id < 0) return this.insert(i, a, b);
      if (this.firsts[id] === a && this.seconds[id] === b) return id;
      i = (i + 1) & mask;
    }
  }

  private insert(slot: number, a: number, b: number): number {
    const id = this.size++;
    if (id >= this.firsts.length) {
      const firsts = new Int32Array(this.firsts.length * 2);
      firsts.set(this.firsts);
      this.firsts = firsts;
      const seconds = new Int32Array(this.seconds.length * 2);
      seconds.set(this.seconds);
      this.seconds = seconds;
    }
    this.firsts[id] = a;
    this.seconds[id] = b;
    this.slots[slot] = id;
    if (this.size * 2 > this.slots.length) this.rehash();
    return id;
  }

  private rehash(): void {
    const slots = new Int32Array(this.slots.length * 2).fill(-1);
    const mask = slots.length - 1;
    for (let id = 0; id < this.size; id++) {
      let i = hashPair(this.firsts[id] as number, this.seconds[id] as number) & mask;
      while ((slots[i] as number) >= 0) i = (i + 1) & mask;
      slots[i] = id;
    }
    this.slots = slots;
    this.mask = mask;
  }
}

function hashPair(a: number, b: number): number {
  let h = Math.imul(a, 0x9e3779b1) ^ Math.imul(b + 0x7f4a7c15, 0x85ebca77);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  return h ^ (h >>> 13);
}

/** Group ids for batches of rows, and each group's key values. */
export class GroupTable {
  private readonly encoders: KeyEncoder[];
  /** Key ids folded pairwise: table k maps (id so far, id of key k + 1) to the next id. */
  private readonly combine: PairTable[] = [];
  count = 0;

  constructor(keys: number, interner?: StringInterner) {
    this.encoders = Array.from({ length: keys }, () => new KeyEncoder(interner));
    for (let k = 1; k < keys; k++) this.combine.push(new PairTable());
  }

  /** The group id of every row of a batch, creating groups as new keys appear. */
  assign(keys: Vec[], n: number): Int32Array {
    const cur = (this.encoders[0] as KeyEncoder).encode(keys[0] as Vec);
    if (keys.length === 1) {
      this.count = (this.encoders[0] as KeyEncoder).values.length;
      return cur;
    }
    for (let k = 1; k < keys.length; k++) {
      const table = this.combine[k - 1] as PairTable;
      const next = (this.encoders[k] as KeyEncoder).encode(keys[k] as Vec);
      // In place: each row's id so far becomes the id of (so far, key k).
      for (let i = 0; i < n; i++) cur[i] = table.idOf(cur[i] as number, next[i] as number);
    }
    this.count = (this.combine[keys.length - 2] as PairTable).size;
    return cur;
  }

  /** Key values of groups 0..count-1, for key column k. */
  keyValues(k: number): unknown[] {
    const values = (this.encoders[k] as KeyEncoder).values;
    if (this.encoders.length === 1) return values;
    return Array.from(this.keyIds(k), (id) => values[id]);
  }

  /** Key column k of groups 0..count-1 as a vector (strings as interned codes when there is an interner). */
  keyVec(k: number, storage: "num" | "str" | "obj"): Vec {
    const encoder = this.encoders[k] as KeyEncoder;
    if (this.encoders.length === 1) {
      return encoder.vectorOf(
        Int32Array.from({ length: this.count }, (_, g) => g),
        storage,
      );
    }
    return encoder.vectorOf(this.keyIds(k), storage);
  }

  /** Key k's id for each group: group ids unfolded back through the pair tables. */
  private keyIds(k: number): Int32Array {
    let ids = Int32Array.from({ length: this.count }, (_, g) => g);
    for (let t = this.encoders.length - 2; t >= 0; t--) {
      const table = this.combine[t] as PairTable;
      const source = t + 1 === k ? table.seconds : table.firsts;
      ids = ids.map((id) => source[id] as number);
      if (t + 1 === k) break;
    }
    return ids;
  }
}
