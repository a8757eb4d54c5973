// DDSketch quantiles for live windows: log-spaced buckets with integer counts, so merges are exact.
import { z } from "zod";

/** Relative accuracy: a reported quantile is within 1 % of a value of that rank. */
export const SKETCH_ALPHA = 0.01;
const GAMMA = (1 + SKETCH_ALPHA) / (1 - SKETCH_ALPHA);
const LOG_GAMMA = Math.log(GAMMA);
/** Magnitudes below this count as zero; above the max they share the top bucket. Fixed, so merges agree. */
const MIN_MAGNITUDE = 1e-9;
const MAX_INDEX = Math.ceil(Math.log(1e15) / LOG_GAMMA);
const MIN_INDEX = Math.ceil(Math.log(MIN_MAGNITUDE) / LOG_GAMMA);

const Buckets = z.array(z.tuple([z.number().int(), z.number().int().min(1)]));

export const SketchJson = z.object({
  n: z.number().int().min(0),
  zero: z.number().int().min(0),
  min: z.number().nullable(),
  max: z.number().nullable(),
  pos: Buckets,
  neg: Buckets,
});
export type SketchJson = z.infer<typeof SketchJson>;

function bucketIndex(magnitude: number): number {
  return Math.min(MAX_INDEX, Math.max(MIN_INDEX, Math.ceil(Math.log(magnitude) / LOG_GAMMA)));
}

function bucketValue(index: number): number {
  return (2 * GAMMA ** index) / (GAMMA + 1);
}

export class DDSketch {
  n = 0;
  zero = 0;
  min = Number.POSITIVE_INFINITY;
  max = Number.NEGATIVE_INFINITY;
  readonly pos = new Map<number, number>();
  readonly neg = new Map<number, number>();

  add(value: number): void {
    if (!Number.isFinite(value)) return;
    this.n++;
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
    const magnitude = Math.abs(value);
    if (magnitude < MIN_MAGNITUDE) this.zero++;
    else {
      const store = value > 0 ? this.pos : this.neg;
      const i = bucketIndex(magnitude);
      store.set(i, (store.get(i) ?? 0) + 1);
    }
  }

  merge(other: DDSketch): this {
    this.n += other.n;
    this.zero += other.zero;
    this.min = Math.min(this.min, other.min);
    this.max = Math.max(this.max, other.max);
    for (const [i, c] of other.pos) this.pos.set(i, (this.pos.get(i) ?? 0) + c);
    for (const [i, c] of other.neg) this.neg.set(i, (this.neg.get(i) ?? 0) + c);
    return this;
  }

  /** The value at quantile `q` (0–1), or null when empty. Nearest rank: the ⌈q·n⌉-th smallest value. */
  quantile(q: number): number | null {
    if (this.n === 0) return null;
    const rank = Math.max(0, Math.ceil(Math.min(1, Math.max(0, q)) * this.n) - 1);
    let seen = 0;
    let estimate: number | null = null;
    for (const i of [...this.neg.keys()].sort((a, b) => b - a)) {
      seen += this.neg.get(i) as number;
      if (seen > rank) {
        estimate = -bucketValue(i);
        break;
      }
    }
    if (estimate === null) {
      seen += this.zero;
      if (seen > rank) estimate = 0;
    }
    if (estimate === null) {
      for (const i of [...this.pos.keys()].sort((a, b) => a - b)) {
        seen += this.pos.get(i) as number;
        if (seen > rank) {
          estimate = bucketValue(i);
          break;
        }
      }
    }
    return Math.min(this.max, Math.max(this.min, estimate ?? this.max));
  }

  toJSON(): SketchJson {
    const sorted = (m: Map<number, number>) => [...m].sort((a, b) => a[0] - b[0]);
    return {
      n: this.n,
      zero: this.zero,
      min: this.n ? this.min : null,
      max: this.n ? this.max : null,
      pos: sorted(this.pos),
      neg: sorted(this.neg),
    };
  }

  static fromJSON(json: SketchJson): DDSketch {
    const s = new DDSketch();
    s.n = json.n;
    s.zero = json.zero;
    s.min = json.min ?? Number.POSITIVE_INFINITY;
    s.max = json.max ?? Number.NEGATIVE_INFINITY;
    for (const [i, c] of json.pos) s.pos.set(i, c);
    for (const [i, c] of json.neg) s.neg.set(i, c);
    return s;
  }
}
