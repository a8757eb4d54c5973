// Arithmetic: numbers (/, // and % as DuckDB defines them) and time ± interval.
import type { Interval } from "./ast";
import type { ScalarFn } from "./bound";
import { mapAny, mapNum, mapNum2 } from "./kernels";
import { addInterval } from "./time";
import type { Vec } from "./vector";

const DAY_MS = 86_400_000;

function binaryNum(name: string, f: (x: number, y: number) => number | null): ScalarFn {
  return { name, strict: true, impl: ([a, b]) => mapNum2(a as Vec, b as Vec, f) };
}

export const addFn = binaryNum("+", (x, y) => x + y);
export const subFn = binaryNum("-", (x, y) => x - y);
export const mulFn = binaryNum("*", (x, y) => x * y);
export const divFn = binaryNum("/", (x, y) => x / y);
/** Integer division truncates toward zero; division by zero is NULL. */
export const intDivFn = binaryNum("//", (x, y) => (y === 0 ? null : Math.trunc(x / y)));
/** Floor division of doubles, as DuckDB's // on DOUBLE. */
export const floorDivFn = binaryNum("//", (x, y) => (y === 0 ? null : Math.floor(x / y)));
/** Remainder takes the sign of the dividend; modulo by zero is NULL. */
export const modFn = binaryNum("%", (x, y) => (y === 0 ? null : x % y));

export const negFn: ScalarFn = { name: "-", strict: true, impl: ([a]) => mapNum(a as Vec, (x) => -x) };

/** time ± interval (interval on the right), DATE in → TIMESTAMP out as epoch ms. */
export function timePlusInterval(sign: 1 | -1): ScalarFn {
  return {
    name: sign > 0 ? "+" : "-",
    strict: true,
    impl([t, iv], n) {
      const i = iv as Vec;
      if (i.kind === "const" && i.value !== null && (i.value as Interval).months === 0) {
        const { days, ms } = i.value as Interval;
        const delta = sign * (days * DAY_MS + ms);
        return mapNum(t as Vec, (x) => x + delta);
      }
      return mapAny([t as Vec, i], n, "num", (x, v) => addInterval(x as number, v as Interval, sign));
    },
  };
}

/** interval + time. */
export const intervalPlusTime: ScalarFn = {
  name: "+",
  strict: true,
  impl: ([iv, t], n, ctx) => timePlusInterval(1).impl([t as Vec, iv as Vec], n, ctx),
};

/** time - time: an interval of whole days and the remaining time, like DuckDB. */
export const timeMinusTime: ScalarFn = {
  name: "-",
  strict: true,
  impl: ([a, b], n) =>
    mapAny([a as Vec, b as Vec], n, "obj", (x, y): Interval => {
      const d = (x as number) - (y as number);
      const days = Math.trunc(d / DAY_MS);
      return { months: 0, days, ms: d - days * DAY_MS };
    }),
};

/**
 * An interval's length in ms, months as 30 days: what interval comparisons compare (DuckDB's
 * normalization). Comparing lengths as numbers spares an object per row.
 */
export const intervalLengthFn: ScalarFn = {
  name: "interval_length_ms",
  strict: true,
  impl: ([a], n) => {
    const v = a as Vec;
    const length = (x: unknown) => {
      const iv = x as Interval;
      return (iv.months * 30 + iv.days) * DAY_MS + iv.ms;
    };
    if (v.kind === "const") return { kind: "const", n, value: v.value === null ? null : length(v.value) };
    return mapAny([v], n, "num", length);
  },
};

/** The length of time - time in ms: the interval timeMinusTime makes, measured without making it. */
export const timeDiffLengthFn = binaryNum("time_diff_ms", (x, y) => x - y);

export function intervalArith(sign: 1 | -1): ScalarFn {
  return {
    name: sign > 0 ? "+" : "-",
    strict: true,
    impl: ([a, b], n) =>
      mapAny([a as Vec, b as Vec], n, "obj", (x, y): Interval => {
        const p = x as Interval;
        const q = y as Interval;
        return { months: p.months + sign * q.months, days: p.days + sign * q.days, ms: p.ms + sign * q.ms };
      }),
  };
}

export const negIntervalFn: ScalarFn = {
  name: "-",
  strict: true,
  impl: ([a], n) =>
    mapAny(
      [a as Vec],
      n,
      "obj",
      (x): Interval => ({ months: -(x as Interval).months, days: -(x as Interval).days, ms: -(x as Interval).ms }),
    ),
};

/** DATE ± INTEGER days. */
export function datePlusDays(sign: 1 | -1): ScalarFn {
  return binaryNum(sign > 0 ? "+" : "-", (d, k) => d + sign * k * DAY_MS);
}

/** DATE - DATE: days. */
export const dateMinusDate = binaryNum("-", (a, b) => Math.round((a - b) / DAY_MS));
