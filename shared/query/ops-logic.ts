// Comparisons, three-valued AND/OR/NOT, IS NULL, IN and COALESCE over vectors.
import type { ScalarFn } from "./bound";
import { mapAny } from "./kernels";
import { asAny, asNum, type NumVec, type Vec, valueAt } from "./vector";

export type CompareOp = "=" | "<>" | "<" | "<=" | ">" | ">=";

/** Compare two non-null physical values of one type: numbers or strings (binary order). */
export function compareValues(a: unknown, b: unknown): number {
  if (typeof a === "number" && typeof b === "number")
    return a < b ? -1 : a > b ? 1 : a === b ? 0 : Number.isNaN(a) ? (Number.isNaN(b) ? 0 : 1) : -1;
  const x = String(a);
  const y = String(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

function test(op: CompareOp, c: number): number {
  switch (op) {
    case "=":
      return c === 0 ? 1 : 0;
    case "<>":
      return c !== 0 ? 1 : 0;
    case "<":
      return c < 0 ? 1 : 0;
    case "<=":
      return c <= 0 ? 1 : 0;
    case ">":
      return c > 0 ? 1 : 0;
    case ">=":
      return c >= 0 ? 1 : 0;
  }
}

/** Numbers against a constant: the hot path of WHERE ts >= … and friends. */
function compareNumConst(a: Vec, op: CompareOp, y: number, flip: boolean): NumVec {
  const { values, valid } = asNum(a);
  const n = a.n;
  const out = new Float64Array(n);
  const o: CompareOp = flip ? ({ "=": "=", "<>": "<>", "<": ">", "<=": ">=", ">": "<", ">=": "<=" } as const)[op] : op;
  if (Number.isNaN(y)) {
    for (let i = 0; i < n; i++) out[i] = test(o, compareValues(values[i], y));
    return { kind: "num", n, values: out, valid };
  }
  switch (o) {
    case "=":
      for (let i = 0; i < n; i++) out[i] = values[i] === y ? 1 : 0;
      break;
    case "<>":
      for (let i = 0; i < n; i++) out[i] = values[i] !== y ? 1 : 0;
      break;
    case "<":
      for (let i = 0; i < n; i++) out[i] = (values[i] as number) < y ? 1 : 0;
      break;
    case "<=":
      for (let i = 0; i < n; i++) out[i] = (values[i] as number) <= y ? 1 : 0;
      break;
    case ">":
      for (let i = 0; i < n; i++) out[i] = (values[i] as number) > y ? 1 : 0;
      break;
    case ">=":
      for (let i = 0; i < n; i++) out[i] = (values[i] as number) >= y ? 1 : 0;
      break;
  }
  return { kind: "num", n, values: out, valid };
}

export function compareFn(op: CompareOp, physical: "num" | "str" | "obj"): ScalarFn {
  return {
    name: op,
    strict: true,
    impl(args, n) {
      const [a, b] = args as [Vec, Vec];
      if (physical === "num" && b.kind === "const" && a.kind !== "const" && b.value !== null)
        return compareNumConst(a, op, b.value as number, false);
      if (physical === "num" && a.kind === "const" && b.kind !== "const" && a.value !== null)
        return compareNumConst(b, op, a.value as number, true);
      if (physical === "obj") return mapAny(args, n, "num", (x, y) => test(op, compareIntervals(x, y)));
      return mapAny(args, n, "num", (x, y) => test(op, compareValues(x, y)));
    },
  };
}

/** Intervals compare by their total length, months as 30 days (DuckDB's normalization). */
export function compareIntervals(x: unknown, y: unknown): number {
  const t = (v: unknown) => {
    const iv = v as { months: number; days: number; ms: number };
    return (iv.months * 30 + iv.days) * 86_400_000 + iv.ms;
  };
  return compareValues(t(x), t(y));
}

function boolVecs(args: Vec[]): { values: Float64Array; valid: Uint8Array | null }[] {
  return args.map((a) => asNum(a));
}

export const andFn: ScalarFn = {
  name: "AND",
  strict: false,
  impl(args, n) {
    const cols = boolVecs(args);
    const values = new Float64Array(n).fill(1);
    let valid: Uint8Array | null = null;
    for (let i = 0; i < n; i++) {
      let isNull = false;
      let v = 1;
      for (const c of cols) {
        if (c.valid && c.valid[i] === 0) isNull = true;
        else if (c.values[i] === 0) {
          v = 0;
          break;
        }
      }
      if (v === 0) values[i] = 0;
      else if (isNull) {
        valid ??= new Uint8Array(n).fill(1);
        valid[i] = 0;
      }
    }
    return { kind: "num", n, values, valid };
  },
};

export const orFn: ScalarFn = {
  name: "OR",
  strict: false,
  impl(args, n) {
    const cols = boolVecs(args);
    const values = new Float64Array(n);
    let valid: Uint8Array | null = null;
    for (let i = 0; i < n; i++) {
      let isNull = false;
      let v = 0;
      for (const c of cols) {
        if (c.valid && c.valid[i] === 0) isNull = true;
        else if (c.values[i] === 1) {
          v = 1;
          break;
        }
      }
      if (v === 1) values[i] = 1;
      else if (isNull) {
        valid ??= new Uint8Array(n).fill(1);
        valid[i] = 0;
      }
    }
    return { kind: "num", n, values, valid };
  },
};

export const notFn: ScalarFn = {
  name: "NOT",
  strict: true,
  impl([a]) {
    const v = a as Vec;
    if (v.kind === "const") return { kind: "const", n: v.n, value: v.value === null ? null : 1 - (v.value as number) };
    const { values, valid } = asNum(v);
    const out = new Float64Array(v.n);
    for (let i = 0; i < v.n; i++) out[i] = 1 - (values[i] as number);
    return { kind: "num", n: v.n, values: out, valid };
  },
};

export function isNullFn(negated: boolean): ScalarFn {
  return {
    name: negated ? "IS NOT NULL" : "IS NULL",
    strict: false,
    impl([a], n) {
      const v = a as Vec;
      const out = new Float64Array(n);
      const yes = negated ? 0 : 1;
      const no = 1 - yes;
      if (v.kind === "num") {
        for (let i = 0; i < n; i++) out[i] = v.valid && v.valid[i] === 0 ? yes : no;
      } else if (v.kind === "dict") {
        for (let i = 0; i < n; i++) out[i] = valueAt(v, i) === null ? yes : no;
      } else {
        for (let i = 0; i < n; i++) out[i] = valueAt(v, i) === null ? yes : no;
      }
      return { kind: "num", n, values: out, valid: null };
    },
  };
}

/** x IN (list): true on a match, NULL when no match but x or a list item is NULL, else false. */
export function inFn(negated: boolean, physical: "num" | "str" | "obj"): ScalarFn {
  return {
    name: negated ? "NOT IN" : "IN",
    strict: false,
    impl(args, n, ctx) {
      const [x, ...list] = args as [Vec, ...Vec[]];
      const t = negated ? 0 : 1;
      const f = 1 - t;
      const values = new Float64Array(n);
      let valid: Uint8Array | null = null;
      const setNull = (i: number) => {
        valid ??= new Uint8Array(n).fill(1);
        valid[i] = 0;
      };
      if (x.kind === "dict" && x.dict.n < n && list.every((l) => l.kind === "const")) {
        // Only the dictionary's entries need testing; rows keep their codes (NULL rows stay NULL).
        const m = x.dict.n;
        const entries = this.impl([x.dict, ...list.map((l) => ({ ...l, n: m }))], m, ctx);
        return { kind: "dict", n, dict: entries, codes: x.codes };
      }
      if (list.every((l) => l.kind === "const") && physical !== "obj") {
        const set = new Set<unknown>();
        let listNull = false;
        for (const l of list) {
          const v = (l as { value: unknown }).value;
          if (v === null) listNull = true;
          else set.add(v);
        }
        const xs = x.kind === "num" ? null : asAny(x);
        for (let i = 0; i < n; i++) {
          const v = xs ? xs[i] : valueAt(x, i);
          if (v === null || v === undefined) setNull(i);
          else if (set.has(v)) values[i] = t;
          else if (listNull) setNull(i);
          else values[i] = f;
        }
        return { kind: "num", n, values, valid };
      }
      for (let i = 0; i < n; i++) {
        const v = valueAt(x, i);
        if (v === null) {
          setNull(i);
          continue;
        }
        let sawNull = false;
        let hit = false;
        for (const l of list) {
          const w = valueAt(l, i);
          if (w === null) sawNull = true;
          else if ((physical === "obj" ? compareIntervals(v, w) : compareValues(v, w)) === 0) {
            hit = true;
            break;
          }
        }
        if (hit) values[i] = t;
        else if (sawNull) setNull(i);
        else values[i] = f;
      }
      return { kind: "num", n, values, valid };
    },
  };
}

export function coalesceFn(physical: "num" | "str" | "obj"): ScalarFn {
  return {
    name: "coalesce",
    strict: false,
    impl(args, n) {
      if (physical === "num") {
        const cols = args.map((a) => asNum(a));
        const values = new Float64Array(n);
        let valid: Uint8Array | null = null;
        for (let i = 0; i < n; i++) {
          let found = false;
          for (const c of cols) {
            if (!c.valid || c.valid[i] === 1) {
              values[i] = c.values[i] as number;
              found = true;
              break;
            }
          }
          if (!found) {
            valid ??= new Uint8Array(n).fill(1);
            valid[i] = 0;
          }
        }
        return { kind: "num", n, values, valid };
      }
      const out: unknown[] = new Array(n);
      for (let i = 0; i < n; i++) {
        let v: unknown = null;
        for (const a of args) {
          v = valueAt(a, i);
          if (v !== null) break;
        }
        out[i] = v;
      }
      return physical === "str"
        ? { kind: "str", n, values: out as (string | null)[] }
        : { kind: "obj", n, values: out };
    },
  };
}
