// var_samp, var_pop, stddev_samp, stddev_pop and corr: running moments per group (Welford), merged
// across invocations with Chan's formulas, so no values are held.
import type { AggState } from "./agg-state";
import { grow, target } from "./grow";
import { asNum, type Vec } from "./vector";

export type MomentKind = "var_samp" | "var_pop" | "stddev_samp" | "stddev_pop" | "corr";

/** Per group: count, means and co-moments of x (and y for corr). */
export class MomentsState implements AggState {
  private n: Float64Array = new Float64Array(16);
  private mx: Float64Array = new Float64Array(16);
  private my: Float64Array = new Float64Array(16);
  private m2x: Float64Array = new Float64Array(16);
  private m2y: Float64Array = new Float64Array(16);
  private cxy: Float64Array = new Float64Array(16);

  constructor(private readonly kind: MomentKind) {}

  private ensure(groups: number): void {
    this.n = grow(this.n, groups);
    this.mx = grow(this.mx, groups);
    this.my = grow(this.my, groups);
    this.m2x = grow(this.m2x, groups);
    this.m2y = grow(this.m2y, groups);
    this.cxy = grow(this.cxy, groups);
  }

  /** corr(y, x): `arg` is y, `arg2` is x; the others take only `arg`. */
  update(gids: Int32Array | null, arg: Vec | null, n: number, groups: number, arg2?: Vec | null): void {
    this.ensure(groups);
    const a = asNum(arg as Vec);
    const b = arg2 ? asNum(arg2) : null;
    for (let i = 0; i < n; i++) {
      if (a.valid && a.valid[i] === 0) continue;
      if (b?.valid && b.valid[i] === 0) continue;
      const g = gids ? (gids[i] as number) : 0;
      const x = a.values[i] as number;
      const y = b ? (b.values[i] as number) : 0;
      const k = (this.n[g] as number) + 1;
      this.n[g] = k;
      const dx = x - (this.mx[g] as number);
      const dy = y - (this.my[g] as number);
      this.mx[g] = (this.mx[g] as number) + dx / k;
      this.my[g] = (this.my[g] as number) + dy / k;
      this.m2x[g] = (this.m2x[g] as number) + dx * (x - (this.mx[g] as number));
      this.m2y[g] = (this.m2y[g] as number) + dy * (y - (this.my[g] as number));
      this.cxy[g] = (this.cxy[g] as number) + dx * (y - (this.my[g] as number));
    }
  }

  finish(groups: number): Vec {
    this.ensure(groups);
    const values = new Float64Array(groups);
    const valid = new Uint8Array(groups);
    for (let g = 0; g < groups; g++) {
      const k = this.n[g] as number;
      const m2 = this.m2x[g] as number;
      let v: number | null = null;
      switch (this.kind) {
        case "var_pop":
          v = k > 0 ? m2 / k : null;
          break;
        case "var_samp":
          v = k > 1 ? m2 / (k - 1) : null;
          break;
        case "stddev_pop":
          v = k > 0 ? Math.sqrt(m2 / k) : null;
          break;
        case "stddev_samp":
          v = k > 1 ? Math.sqrt(m2 / (k - 1)) : null;
          break;
        case "corr": {
          const denom = Math.sqrt(m2 * (this.m2y[g] as number));
          v = k > 0 ? (denom > 0 ? (this.cxy[g] as number) / denom : Number.NaN) : null;
          break;
        }
      }
      if (v !== null) {
        values[g] = v;
        valid[g] = 1;
      }
    }
    return { kind: "num", n: groups, values, valid };
  }

  held(): number {
    return 0;
  }

  exportPartial(groups: number): Float64Array[] {
    this.ensure(groups);
    return [this.n, this.mx, this.my, this.m2x, this.m2y, this.cxy].map((a) => a.slice(0, groups));
  }

  mergePartial(part: unknown, gids: Int32Array | null, groups: number): void {
    this.ensure(groups);
    const [n, mx, my, m2x, m2y, cxy] = part as Float64Array[];
    for (let i = 0; i < (n as Float64Array).length; i++) {
      const nb = (n as Float64Array)[i] as number;
      if (nb === 0) continue;
      const g = target(gids, i);
      const na = this.n[g] as number;
      const k = na + nb;
      const dx = ((mx as Float64Array)[i] as number) - (this.mx[g] as number);
      const dy = ((my as Float64Array)[i] as number) - (this.my[g] as number);
      this.m2x[g] = (this.m2x[g] as number) + ((m2x as Float64Array)[i] as number) + (dx * dx * na * nb) / k;
      this.m2y[g] = (this.m2y[g] as number) + ((m2y as Float64Array)[i] as number) + (dy * dy * na * nb) / k;
      this.cxy[g] = (this.cxy[g] as number) + ((cxy as Float64Array)[i] as number) + (dx * dy * na * nb) / k;
      this.mx[g] = (this.mx[g] as number) + (dx * nb) / k;
      this.my[g] = (this.my[g] as number) + (dy * nb) / k;
      this.n[g] = k;
    }
  }
}
