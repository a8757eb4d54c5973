// HyperLogLog distinct counts, one sketch for SQL's approx_count_distinct, rollups (D1) and live windows
// (Durable Object SQLite): p = 14 over the 32-bit hashes of hash.ts, exact while small, mergeable in
// any order. Older stored forms are still read (see fromBytes and fromJSON).
import { z } from "zod";
import { fromBase64, toBase64 } from "../base64";

/** 2^14 registers: 0.81 % standard error; 16 KiB dense in memory, 10 KiB serialized (5 bits a register). */
export const HLL_PRECISION = 14;
const HASH_BITS = 32;
/** Up to this many distinct hashes a sketch keeps them exactly: exact counts, and small groups stay small. */
const SPARSE_LIMIT = 1024;
/** The sparse table's most slots: SPARSE_LIMIT hashes at most half full, 8 KiB. */
const MAX_SLOTS = 2 * SPARSE_LIMIT;
/**
 * Live windows before the sketch was unified hashed `${typeof v}:${v}` with 53-bit cyrb53 at p = 12.
 * Their registers are read as they are (same estimate as before); see fromJSON.
 */
const LEGACY_LIVE_HASH_BITS = 53;

/** First byte of toBytes(): the form that follows. */
const SPARSE = 0; // the distinct 32-bit hashes, little-endian (any order; written sorted)
const DENSE_P14 = 1; // 16,384 registers of a byte each (written by the query engine before packing; read only)
const PACKED = 2; // p, q, then 2^p registers of bitWidth(q + 1) bits each, LSB first

/**
 * A sketch as JSON (live window states): base64 of toBytes(), or the live path's older form, sparse
 * (`[index * 64 + rank, …]`) or dense (base64 registers), with its precision.
 */
export const HllJson = z.union([
  z.base64(),
  z.object({ p: z.number().int().min(4).max(16), s: z.array(z.number().int().min(0)) }),
  z.object({ p: z.number().int().min(4).max(16), d: z.base64() }),
]);
export type HllJson = z.infer<typeof HllJson>;

export class HyperLogLog {
  /** Register index bits: 2^p registers. */
  private p: number;
  /** Hash bits below the index: ranks run 1..q + 1 (q + 1 when all of them are zero). */
  private q: number;
  private sparse: HashSet | null = new HashSet();
  private registers: Uint8Array | null = null;

  /** An empty sketch; a precision other than HLL_PRECISION is for tests and old data only. */
  constructor(p = HLL_PRECISION) {
    if (!Number.isInteger(p) || p < 4 || p > 16) throw new RangeError(`HLL precision must be 4..16, got ${p}`);
    this.p = p;
    this.q = HASH_BITS - p;
    // The sparse form does not record a precision: only the standard one starts sparse.
    if (p !== HLL_PRECISION) this.densify();
  }

  /** Add a 32-bit hash of a value (hash.ts). */
  add(hash: number): void {
    const h = hash >>> 0;
    if (this.sparse) {
      this.sparse.add(h);
      if (this.sparse.size > SPARSE_LIMIT) this.densify();
      return;
    }
    const p = this.p;
    const regs = this.registers as Uint8Array;
    const index = h >>> (HASH_BITS - p);
    const w = (h << p) >>> 0;
    const rank = w === 0 ? HASH_BITS - p + 1 : Math.clz32(w) + 1;
    if (rank > (regs[index] as number)) regs[index] = rank;
  }

  private densify(): void {
    const hashes = this.sparse as HashSet;
    this.sparse = null;
    this.registers = new Uint8Array(1 << this.p);
    hashes.forEach((h) => {
      this.add(h);
    });
  }

  /**
   * Fold `other` in: the sketch of the union. A sketch of lower precision folds the other down to
   * it (exact for HLL: the index bits dropped become the top bits of the rank).
   */
  merge(other: HyperLogLog): this {
    if (other.sparse) {
      other.sparse.forEach((h) => {
        this.add(h);
      });
      return this;
    }
    if (this.sparse) this.densify();
    if (this.p > other.p) {
      this.registers = fold(this.registers as Uint8Array, this.p, other.p);
      this.q += this.p - other.p;
      this.p = other.p;
    }
    const a = this.registers as Uint8Array;
    const b = other.p > this.p ? fold(other.registers as Uint8Array, other.p, this.p) : (other.registers as Uint8Array);
    for (let i = 0; i < a.length; i++) if ((b[i] as number) > (a[i] as number)) a[i] = b[i] as number;
    this.q = Math.max(this.q, other.q + (other.p - this.p));
    return this;
  }

  /** Distinct values added: exact while sparse, else Ertl's improved estimator (no bias tables). */
  estimate(): number {
    if (this.sparse) return this.sparse.size;
    const m = 1 << this.p;
    const q = this.q;
    const counts = new Float64Array(q + 2);
    for (const r of this.registers as Uint8Array) counts[r] = (counts[r] as number) + 1;
    let z = m * tau(1 - (counts[q + 1] as number) / m);
    for (let k = q; k >= 1; k--) z = 0.5 * (z + (counts[k] as number));
    z += m * sigma((counts[0] as number) / m);
    return Math.round((m * m) / (2 * Math.LN2) / z);
  }

  /** The compact form, for D1 rows and split partials: sorted hashes while sparse, packed registers after. */
  toBytes(): Uint8Array {
    if (this.sparse) {
      const hashes = this.sparse.sorted();
      const out = new Uint8Array(1 + 4 * hashes.length);
      const view = new DataView(out.buffer);
      for (let i = 0; i < hashes.length; i++) view.setUint32(1 + 4 * i, hashes[i] as number, true);
      return out;
    }
    const registers = this.registers as Uint8Array;
    const width = 32 - Math.clz32(this.q + 1);
    const out = new Uint8Array(3 + Math.ceil((registers.length * width) / 8));
    out[0] = PACKED;
    out[1] = this.p;
    out[2] = this.q;
    let acc = 0;
    let bits = 0;
    let o = 3;
    for (const r of registers) {
      acc |= r << bits;
      bits += width;
      while (bits >= 8) {
        out[o++] = acc & 0xff;
        acc >>>= 8;
        bits -= 8;
      }
    }
    if (bits > 0) out[o] = acc;
    return out;
  }

  /** Reads toBytes() of this version or of any earlier one. Throws on bytes that are no sketch. */
  static fromBytes(bytes: Uint8Array): HyperLogLog {
    const kind = bytes[0];
    if (kind === SPARSE && (bytes.length - 1) % 4 === 0) {
      const h = new HyperLogLog();
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      for (let o = 1; o < bytes.length; o += 4) h.add(view.getUint32(o, true));
      return h;
    }
    if (kind === DENSE_P14 && bytes.length === 1 + (1 << 14)) return HyperLogLog.dense(14, 18, bytes.slice(1));
    if (kind === PACKED && bytes.length >= 3) {
      const p = bytes[1] as number;
      const q = bytes[2] as number;
      const width = 32 - Math.clz32(q + 1);
      const registers = new Uint8Array(p >= 4 && p <= 16 ? 1 << p : 0);
      if (registers.length > 0 && bytes.length === 3 + Math.ceil((registers.length * width) / 8)) {
        const mask = (1 << width) - 1;
        let acc = 0;
        let bits = 0;
        let o = 3;
        for (let i = 0; i < registers.length; i++) {
          while (bits < width) {
            acc |= (bytes[o++] as number) << bits;
            bits += 8;
          }
          registers[i] = acc & mask;
          acc >>>= width;
          bits -= width;
        }
        return HyperLogLog.dense(p, q, registers);
      }
    }
    throw new Error("not a HyperLogLog sketch");
  }

  toJSON(): HllJson {
    return toBase64(this.toBytes());
  }

  /**
   * Reads toJSON() of this version, or a live window's state from before the sketch was unified.
   * Those registers came from another hash, so they are kept as they are (their estimate is the one
   * the window showed); merged with a current sketch they count every value of the other as new
   * (the two hashes never agree), so a window open across the change can overcount by the values
   * seen on both sides of it, never undercount.
   */
  static fromJSON(json: HllJson): HyperLogLog {
    if (typeof json === "string") return HyperLogLog.fromBytes(fromBase64(json));
    const q = LEGACY_LIVE_HASH_BITS - json.p;
    if ("d" in json) {
      const registers = fromBase64(json.d);
      if (registers.length !== 1 << json.p) throw new Error("HLL register count does not match its precision");
      return HyperLogLog.dense(json.p, q, registers);
    }
    const registers = new Uint8Array(1 << json.p);
    for (const e of json.s) {
      const i = Math.floor(e / 64);
      if (i < registers.length) registers[i] = Math.max(registers[i] as number, e % 64);
    }
    return HyperLogLog.dense(json.p, q, registers);
  }

  private static dense(p: number, q: number, registers: Uint8Array): HyperLogLog {
    for (const r of registers) if (r > q + 1) throw new Error("not a HyperLogLog sketch: a rank past its hash bits");
    const h = new HyperLogLog(p);
    h.q = q;
    h.sparse = null;
    h.registers = registers;
    return h;
  }
}

/** Registers at precision `from` folded to precision `to` < from (a new array). */
function fold(registers: Uint8Array, from: number, to: number): Uint8Array {
  const shift = from - to;
  const low = (1 << shift) - 1;
  const out = new Uint8Array(1 << to);
  for (let i = 0; i < registers.length; i++) {
    const r = registers[i] as number;
    if (r === 0) continue;
    const dropped = i & low; // the index bits that now lead the rank's bit string
    const rank = dropped !== 0 ? Math.clz32(dropped) - (32 - shift) + 1 : shift + r;
    const j = i >>> shift;
    if (rank > (out[j] as number)) out[j] = rank;
  }
  return out;
}

/**
 * Distinct 32-bit hashes by open addressing (linear probing) in a Uint32Array at most half full;
 * 0 marks an empty slot, so hash 0 is a flag. At the sparse limit that is 8 KiB, where a Set of
 * numbers would hold a heap number per hash.
 */
class HashSet {
  private slots = new Uint32Array(16);
  private zero = false;
  size = 0;

  add(h: number): void {
    if (h === 0) {
      if (!this.zero) {
        this.zero = true;
        this.size++;
      }
      return;
    }
    const slots = this.slots;
    const mask = slots.length - 1;
    let i = h & mask; // hashes are mixed already: their low bits spread
    for (let s = slots[i] as number; s !== 0; s = slots[i] as number) {
      if (s === h) return;
      i = (i + 1) & mask;
    }
    slots[i] = h;
    this.size++;
    if (this.size * 2 > slots.length && slots.length < MAX_SLOTS) this.grow();
  }

  private grow(): void {
    const old = this.slots;
    this.slots = new Uint32Array(old.length * 2);
    this.size = this.zero ? 1 : 0;
    for (const h of old) if (h !== 0) this.add(h);
  }

  forEach(f: (h: number) => void): void {
    if (this.zero) f(0);
    for (const h of this.slots) if (h !== 0) f(h);
  }

  /** The hashes in ascending order (a canonical serialized form, whatever the insertion order). */
  sorted(): Uint32Array {
    const out = new Uint32Array(this.size);
    let o = 0;
    this.forEach((h) => {
      out[o++] = h;
    });
    return out.sort();
  }
}

function sigma(x: number): number {
  if (x === 1) return Number.POSITIVE_INFINITY;
  let y = 1;
  let z = x;
  for (;;) {
    x *= x;
    const prev = z;
    z += x * y;
    y += y;
    if (z === prev) return z;
  }
}

function tau(x: number): number {
  if (x === 0 || x === 1) return 0;
  let y = 1;
  let z = 1 - x;
  for (;;) {
    x = Math.sqrt(x);
    const prev = z;
    y *= 0.5;
    z -= (1 - x) ** 2 * y;
    if (z === prev) return z / 3;
  }
}
