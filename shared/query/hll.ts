// HyperLogLog (p = 14, 32-bit hashes) with an exact sparse start and Ertl's improved estimator; mergeable.

const P = 14;
const M = 1 << P;
const Q = 32 - P;
/** Below this many distinct hashes the sketch keeps them exactly (cheap for many small groups). */
const SPARSE_LIMIT = 1024;

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

export class HyperLogLog {
  private sparse: Set<number> | null = new Set();
  private registers: Uint8Array | null = null;

  /** Add a 32-bit hash (see hash.ts). */
  add(hash: number): void {
    if (this.sparse) {
      this.sparse.add(hash);
      if (this.sparse.size > SPARSE_LIMIT) this.densify();
      return;
    }
    const regs = this.registers as Uint8Array;
    const index = hash >>> Q;
    const w = (hash << P) >>> 0;
    const rank = w === 0 ? Q + 1 : Math.clz32(w) + 1;
    if (rank > (regs[index] as number)) regs[index] = rank;
  }

  private densify(): void {
    const hashes = this.sparse as Set<number>;
    this.sparse = null;
    this.registers = new Uint8Array(M);
    for (const h of hashes) this.add(h);
  }

  merge(other: HyperLogLog): void {
    if (other.sparse) {
      for (const h of other.sparse) this.add(h);
      return;
    }
    if (this.sparse) this.densify();
    const a = this.registers as Uint8Array;
    const b = other.registers as Uint8Array;
    for (let i = 0; i < M; i++) if ((b[i] as number) > (a[i] as number)) a[i] = b[i] as number;
  }

  estimate(): number {
    if (this.sparse) return this.sparse.size;
    const counts = new Float64Array(Q + 2);
    for (const r of this.registers as Uint8Array) counts[r] = (counts[r] as number) + 1;
    let z = M * tau(1 - (counts[Q + 1] as number) / M);
    for (let k = Q; k >= 1; k--) z = 0.5 * (z + (counts[k] as number));
    z += M * sigma((counts[0] as number) / M);
    return Math.round((M * M) / (2 * Math.LN2) / z);
  }

  /** A compact form for passing partial aggregates between invocations. */
  toBytes(): Uint8Array {
    if (this.sparse) {
      const out = new Uint8Array(1 + 4 * this.sparse.size);
      const view = new DataView(out.buffer);
      let o = 1;
      for (const h of this.sparse) {
        view.setUint32(o, h, true);
        o += 4;
      }
      return out;
    }
    const out = new Uint8Array(1 + M);
    out[0] = 1;
    out.set(this.registers as Uint8Array, 1);
    return out;
  }

  static fromBytes(bytes: Uint8Array): HyperLogLog {
    const h = new HyperLogLog();
    if (bytes[0] === 1) {
      h.sparse = null;
      h.registers = bytes.slice(1, 1 + M);
    } else {
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      for (let o = 1; o + 4 <= bytes.length; o += 4) h.add(view.getUint32(o, true));
    }
    return h;
  }
}
