// count(*) and count(x): per-group counts.
import type { AggState } from "./agg-state";
import { addInto, bump, grow } from "./grow";
import { nonNullEntries, type Vec } from "./vector";

export class CountState implements AggState {
  private counts: Float64Array = new Float64Array(16);
  constructor(private readonly star: boolean) {}

  update(gids: Int32Array | null, arg: Vec | null, n: number, groups: number): void {
    this.counts = grow(this.counts, groups);
    const c = this.counts;
    if (this.star || !arg) {
      if (!gids) c[0] = (c[0] as number) + n;
      else for (let i = 0; i < n; i++) bump(c, gids[i] as number);
      return;
    }
    if (arg.kind === "const") {
      if (arg.value === null) return;
      if (!gids) c[0] = (c[0] as number) + n;
      else for (let i = 0; i < n; i++) bump(c, gids[i] as number);
      return;
    }
    if (arg.kind === "dict" || arg.kind === "num") {
      const codes = arg.kind === "dict" ? arg.codes : null;
      const valid = arg.kind === "num" ? arg.valid : null;
      const entryOk = arg.kind === "dict" ? nonNullEntries(arg.dict) : null;
      if (!codes && !valid) {
        if (!gids) c[0] = (c[0] as number) + n;
        else for (let i = 0; i < n; i++) bump(c, gids[i] as number);
        return;
      }
      for (let i = 0; i < n; i++) {
        const ok = codes
          ? (codes[i] as number) >= 0 && (entryOk as Uint8Array)[codes[i] as number] === 1
          : valid?.[i] === 1;
        if (ok) bump(c, gids ? (gids[i] as number) : 0);
      }
      return;
    }
    const values = arg.values;
    for (let i = 0; i < n; i++)
      if (values[i] !== null && values[i] !== undefined) bump(c, gids ? (gids[i] as number) : 0);
  }

  finish(groups: number): Vec {
    return { kind: "num", n: groups, values: grow(this.counts, groups).slice(0, groups), valid: null };
  }

  held(): number {
    return 0;
  }

  exportPartial(groups: number): Float64Array {
    return grow(this.counts, groups).slice(0, groups);
  }

  mergePartial(part: unknown, gids: Int32Array | null, groups: number): void {
    this.counts = grow(this.counts, groups);
    addInto(this.counts, part as Float64Array, gids);
  }
}
