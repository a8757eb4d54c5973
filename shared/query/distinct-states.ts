// count(DISTINCT x) (exact sets) and approx_count_distinct (HyperLogLog), per group.
import { hashValue } from "../sketch/hash";
import { HyperLogLog } from "../sketch/hll";
import type { AggState } from "./agg-state";
import { KeyEncoder, PairTable } from "./group-by";
import { bump, grow, growBytes, target } from "./grow";
import type { StringInterner } from "./interner";
import { usedCodes, type Vec, valueAt } from "./vector";

/**
 * count(DISTINCT x): each value gets a dense id (dictionary entries once per dictionary, as group keys
 * do), then a group's distinct values are its distinct (group, id) pairs: integer work per row, no
 * string hashing per row.
 */
export class DistinctState implements AggState {
  private readonly ids: KeyEncoder;
  /** Ungrouped: which ids were seen. */
  private seen: Uint8Array = new Uint8Array(1024);
  /** Grouped: the distinct (group, id) pairs. */
  private readonly pairs = new PairTable();
  private counts: Float64Array = new Float64Array(64);
  private grouped = false;
  private total = 0;

  constructor(interner?: StringInterner) {
    this.ids = new KeyEncoder(interner);
  }

  update(gids: Int32Array | null, arg: Vec | null, n: number): void {
    const ids = this.ids.encode(arg as Vec);
    const nullId = this.ids.nullId;
    if (!gids) {
      this.seen = growBytes(this.seen, this.ids.values.length);
      const seen = this.seen;
      for (let i = 0; i < n; i++) {
        const id = ids[i] as number;
        if (seen[id] === 0 && id !== nullId) {
          seen[id] = 1;
          this.total++;
        }
      }
      return;
    }
    this.grouped = true;
    this.count(gids, ids, n, nullId);
  }

  private count(gids: Int32Array, ids: Int32Array, n: number, nullId: number): void {
    const pairs = this.pairs;
    for (let i = 0; i < n; i++) {
      const id = ids[i] as number;
      if (id === nullId) continue;
      const before = pairs.size;
      const g = gids[i] as number;
      pairs.idOf(g, id);
      if (pairs.size !== before) {
        this.counts = grow(this.counts, g + 1);
        bump(this.counts, g);
        this.total++;
      }
    }
  }

  finish(groups: number): Vec {
    const out = new Float64Array(groups);
    if (!this.grouped) {
      if (groups > 0) out[0] = this.total;
    } else for (let g = 0; g < groups; g++) out[g] = g < this.counts.length ? (this.counts[g] as number) : 0;
    return { kind: "num", n: groups, values: out, valid: null };
  }

  held(): number {
    return this.total;
  }

  /** Per group, its distinct values (objects as their JSON text). */
  exportPartial(groups: number): unknown[][] {
    const out: unknown[][] = Array.from({ length: groups }, () => []);
    const member = (id: number) => {
      const v = this.ids.values[id];
      return v !== null && typeof v === "object" ? JSON.stringify(v) : v;
    };
    if (!this.grouped) {
      const first = out[0];
      if (first) for (let id = 0; id < this.ids.values.length; id++) if (this.seen[id] === 1) first.push(member(id));
      return out;
    }
    const { firsts, seconds, size } = this.pairs;
    for (let p = 0; p < size; p++) out[firsts[p] as number]?.push(member(seconds[p] as number));
    return out;
  }

  mergePartial(part: unknown, gids: Int32Array | null): void {
    const lists = part as unknown[][];
    const groups: number[] = [];
    const members: unknown[] = [];
    for (let i = 0; i < lists.length; i++) {
      for (const key of lists[i] as unknown[]) {
        groups.push(target(gids, i));
        members.push(key);
      }
    }
    if (members.length === 0) return;
    this.update(
      gids ? Int32Array.from(groups) : null,
      { kind: "obj", n: members.length, values: members },
      members.length,
    );
  }
}

export class ApproxDistinctState implements AggState {
  private sketches: HyperLogLog[] = [];

  private sketch(g: number): HyperLogLog {
    let s = this.sketches[g];
    if (!s) this.sketches[g] = s = new HyperLogLog();
    return s;
  }

  update(gids: Int32Array | null, arg: Vec | null, n: number): void {
    const a = arg as Vec;
    if (a.kind === "dict") {
      const hashes = new Float64Array(a.dict.n);
      const seen = usedCodes(a);
      for (let c = 0; c < seen.length; c++) {
        const v = seen[c] ? valueAt(a.dict, c) : null;
        if (v === null) seen[c] = 0;
        else hashes[c] = hashValue(v);
      }
      const codes = a.codes;
      if (!gids) {
        const s = this.sketch(0);
        for (let c = 0; c < seen.length; c++) if (seen[c]) s.add(hashes[c] as number);
        return;
      }
      for (let i = 0; i < n; i++) {
        const c = codes[i] as number;
        if (c >= 0 && seen[c]) this.sketch(gids[i] as number).add(hashes[c] as number);
      }
      return;
    }
    const single = gids ? null : this.sketch(0);
    for (let i = 0; i < n; i++) {
      const v = valueAt(a, i);
      if (v === null) continue;
      (single ?? this.sketch((gids as Int32Array)[i] as number)).add(hashValue(v));
    }
  }

  finish(groups: number): Vec {
    const out = new Float64Array(groups);
    for (let g = 0; g < groups; g++) out[g] = this.sketches[g]?.estimate() ?? 0;
    return { kind: "num", n: groups, values: out, valid: null };
  }

  held(): number {
    return 0;
  }

  /** Per group, the sketch's bytes (null: nothing seen). */
  exportPartial(groups: number): (Uint8Array | null)[] {
    return Array.from({ length: groups }, (_, g) => this.sketches[g]?.toBytes() ?? null);
  }

  mergePartial(part: unknown, gids: Int32Array | null): void {
    const sketches = part as (Uint8Array | null)[];
    for (let i = 0; i < sketches.length; i++) {
      const bytes = sketches[i];
      if (bytes) this.sketch(target(gids, i)).merge(HyperLogLog.fromBytes(bytes));
    }
  }
}
