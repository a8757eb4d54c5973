// Math functions: abs, round (half away from zero, DuckDB style), floor, ceil.
import type { ScalarFn } from "./bound";
import { roundHalfAway } from "./cast";
import { mapNum, mapNum2 } from "./kernels";
import type { Vec } from "./vector";

export const absFn: ScalarFn = { name: "abs", strict: true, impl: ([a]) => mapNum(a as Vec, Math.abs) };
export const floorFn: ScalarFn = { name: "floor", strict: true, impl: ([a]) => mapNum(a as Vec, Math.floor) };
export const ceilFn: ScalarFn = { name: "ceil", strict: true, impl: ([a]) => mapNum(a as Vec, Math.ceil) };

function roundDigits(x: number, digits: number): number {
  const d = Math.trunc(digits);
  if (!Number.isFinite(x)) return x;
  if (d >= 0) {
    const f = 10 ** d;
    const r = roundHalfAway(x * f) / f;
    return Number.isFinite(r) ? r : x;
  }
  const f = 10 ** -d;
  return roundHalfAway(x / f) * f;
}

export const roundFn: ScalarFn = {
  name: "round",
  strict: true,
  impl: (args) =>
    args.length === 1 ? mapNum(args[0] as Vec, roundHalfAway) : mapNum2(args[0] as Vec, args[1] as Vec, roundDigits),
};
