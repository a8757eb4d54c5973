// Hash grouping: rows → dense group ids. Dictionary columns map each dictionary entry once per batch.
import { asNum, type Vec, valueAt } from "./vector";

/** Dense ids for the values of one key column; NULL gets an id too. */
class KeyEncoder {
  readonly values: unknown[] = [];
  private readonly ids = new Map<unknown, number>();
  private lastDict: Vec | null = null;
  private lastRemap: Int32Array | null = null;

  idOf(v: unknown): number {
    const key = v !== null && typeof v === "object" ? JSON.stringify(v) : v;
    let id = this.ids.get(key);
    if (id === undefined) {
      id = this.values.length;
      const stored = typeof v === "string" ? flatten(v) : v;
      this.ids.set(typeof key === "string" && key === v ? stored : key, id);
      this.values.push(stored);
    }
    return id;
  }

  encode(vec: Vec): Int32Array {
    const n = vec.n;
    const out = new Int32Array(n);
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
        for (let i = 0; i < n; i++) {
          if (valid && valid[i] === 0) {
            out[i] = this.idOf(null);
            continue;
          }
          const x = values[i] as number;
          const id = ids.get(x);
          out[i] = id === undefined ? this.idOf(x) : id;
        }
        return out;
      }
      case "str": {
        // Plain strings (high-cardinality columns are not dictionary-encoded): one Map lookup a row.
        const values = vec.values;
        const ids = this.ids;
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
}

/**
 * V8 may keep a short string as a slice of a whole decoded page; a copy lets the page go once
 * the batch is done (group keys outlive their batch).
 */
export function flatten(s: string): string {
  return s.length > 12 ? ` ${s}`.slice(1) : s;
}

/** Group ids for batches of rows, and each group's key values. */
export class GroupTable {
  private readonly encoders: KeyEncoder[];
  private readonly combine: Map<number, number>[] = [];
  /** For multi-key grouping: per group, the id of each key's value. */
  private readonly keyIds: number[][];
  count = 0;

  constructor(keys: number) {
    this.encoders = Array.from({ length: keys }, () => new KeyEncoder());
    this.keyIds = Array.from({ length: keys }, () => []);
    for (let k = 1; k < keys; k++) this.combine.push(new Map());
  }

  /** The group id of every row of a batch, creating groups as new keys appear. */
  assign(keys: Vec[], n: number): Int32Array {
    const first = (this.encoders[0] as KeyEncoder).encode(keys[0] as Vec);
    if (keys.length === 1) {
      this.count = (this.encoders[0] as KeyEncoder).values.length;
      return first;
    }
    const ids = keys.map((k, i) => (i === 0 ? first : (this.encoders[i] as KeyEncoder).encode(k)));
    // Fold key ids pairwise into one id; the last fold yields the group ids.
    let cur = first;
    for (let k = 1; k < keys.length; k++) {
      const map = this.combine[k - 1] as Map<number, number>;
      const next = ids[k] as Int32Array;
      const out = new Int32Array(n);
      const last = k === keys.length - 1;
      for (let i = 0; i < n; i++) {
        const composite = (cur[i] as number) * 67108864 + (next[i] as number);
        let id = map.get(composite);
        if (id === undefined) {
          id = map.size;
          map.set(composite, id);
          if (last)
            for (let j = 0; j < keys.length; j++)
              (this.keyIds[j] as number[]).push((ids[j] as Int32Array)[i] as number);
        }
        out[i] = id;
      }
      cur = out;
    }
    this.count = (this.combine[keys.length - 2] as Map<number, number>).size;
    return cur;
  }

  /** Key values of groups 0..count-1, for key column k. */
  keyValues(k: number): unknown[] {
    const values = (this.encoders[k] as KeyEncoder).values;
    if (this.encoders.length === 1) return values;
    return (this.keyIds[k] as number[]).map((id) => values[id]);
  }
}
