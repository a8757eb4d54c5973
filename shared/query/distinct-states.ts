// count(DISTINCT x) (exact sets) and approx_count_distinct (HyperLogLog), per group.
import { hashValue } from "../sketch/hash";
import { HyperLogLog } from "../sketch/hll";
import type { AggState } from "./agg-state";
import { flatten } from "./group-by";
import { target } from "./grow";
import { usedCodes, type Vec, valueAt } from "./vector";

export class DistinctState implements AggState {
  private sets: Set<unknown>[] = [];
  private total = 0;

  private set(g: number): Set<unknown> {
    let s = this.sets[g];
    if (!s) this.sets[g] = s = new Set();
    return s;
  }

  private add(g: number, v: unknown): void {
    const s = this.set(g);
    const key = v !== null && typeof v === "object" ? JSON.stringify(v) : v;
    if (!s.has(key)) {
      s.add(typeof key === "string" ? flatten(key) : key);
      this.total++;
    }
  }

  update(gids: Int32Array | null, arg: Vec | null, n: number): void {
    const a = arg as Vec;
    if (a.kind === "dict" && !gids) {
      const seen = usedCodes(a);
      const dict = a.dict;
      if (dict.kind === "str") {
        // The hot path of count(DISTINCT dictionary column): one lookup per used entry.
        const set = this.set(0);
        const values = dict.values;
        for (let c = 0; c < seen.length; c++) {
          if (seen[c] === 0) continue;
          const v = values[c];
          if (v === null || v === undefined || set.has(v)) continue;
          set.add(flatten(v));
          this.total++;
        }
        return;
      }
      for (let c = 0; c < seen.length; c++) {
        if (seen[c] === 0) continue;
        const v = valueAt(dict, c);
        if (v !== null) this.add(0, v);
      }
      return;
    }
    if (a.kind === "num") {
      const { values, valid } = a;
      for (let i = 0; i < n; i++) if (!valid || valid[i] === 1) this.add(gids ? (gids[i] as number) : 0, values[i]);
      return;
    }
    for (let i = 0; i < n; i++) {
      const v = valueAt(a, i);
      if (v !== null) this.add(gids ? (gids[i] as number) : 0, v);
    }
  }

  finish(groups: number): Vec {
    const out = new Float64Array(groups);
    for (let g = 0; g < groups; g++) out[g] = this.sets[g]?.size ?? 0;
    return { kind: "num", n: groups, values: out, valid: null };
  }

  held(): number {
    return this.total;
  }

  /** Per group, the set's members (objects as their JSON text, as the sets hold them). */
  exportPartial(groups: number): unknown[][] {
    return Array.from({ length: groups }, (_, g) => (this.sets[g] ? [...(this.sets[g] as Set<unknown>)] : []));
  }

  mergePartial(part: unknown, gids: Int32Array | null): void {
    const lists = part as unknown[][];
    for (let i = 0; i < lists.length; i++) {
      const members = lists[i] as unknown[];
      if (members.length === 0) continue;
      const s = this.set(target(gids, i));
      for (const key of members) {
        if (s.has(key)) continue;
        s.add(key);
        this.total++;
      }
    }
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
