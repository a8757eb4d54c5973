// Vectorized loops shared by the scalar functions: null-propagating maps over one or two inputs.
import { asAny, asNum, type Vec } from "./vector";

function andValid(a: Uint8Array | null, b: Uint8Array | null, n: number): Uint8Array | null {
  if (!a) return b;
  if (!b) return a;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (a[i] as number) & (b[i] as number);
  return out;
}

/** f over numbers, NULL where the input is NULL. */
export function mapNum(a: Vec, f: (x: number) => number): Vec {
  if (a.kind === "const") return { kind: "const", n: a.n, value: a.value === null ? null : f(a.value as number) };
  const { values, valid } = asNum(a);
  const n = a.n;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = f(values[i] as number);
  return { kind: "num", n, values: out, valid };
}

/** f over pairs of numbers, NULL where either is NULL; f may return null for more NULLs (x // 0). */
export function mapNum2(a: Vec, b: Vec, f: (x: number, y: number) => number | null): Vec {
  const n = a.n;
  if (a.kind === "const" && b.kind === "const") {
    return {
      kind: "const",
      n,
      value: a.value === null || b.value === null ? null : f(a.value as number, b.value as number),
    };
  }
  if ((a.kind === "const" && a.value === null) || (b.kind === "const" && b.value === null)) {
    return { kind: "const", n, value: null };
  }
  const out = new Float64Array(n);
  let extraNull: Uint8Array | null = null;
  const put = (i: number, r: number | null) => {
    if (r === null) {
      extraNull ??= new Uint8Array(n).fill(1);
      extraNull[i] = 0;
    } else out[i] = r;
  };
  let valid: Uint8Array | null;
  if (b.kind === "const") {
    const y = b.value as number;
    const A = asNum(a);
    valid = A.valid;
    for (let i = 0; i < n; i++) put(i, f(A.values[i] as number, y));
  } else if (a.kind === "const") {
    const x = a.value as number;
    const B = asNum(b);
    valid = B.valid;
    for (let i = 0; i < n; i++) put(i, f(x, B.values[i] as number));
  } else {
    const A = asNum(a);
    const B = asNum(b);
    valid = andValid(A.valid, B.valid, n);
    for (let i = 0; i < n; i++) put(i, f(A.values[i] as number, B.values[i] as number));
  }
  return { kind: "num", n, values: out, valid: andValid(valid, extraNull, n) };
}

/** f over any values of every argument, NULL when any argument is NULL; `kind` is the result's vector. */
export function mapAny(args: Vec[], n: number, kind: "num" | "str" | "obj", f: (...xs: unknown[]) => unknown): Vec {
  if (args.every((a) => a.kind === "const")) {
    const xs = args.map((a) => (a as { value: unknown }).value);
    return { kind: "const", n, value: xs.some((x) => x === null) ? null : f(...xs) };
  }
  const cols = args.map(asAny);
  const out: unknown[] = new Array(n);
  const xs: unknown[] = new Array(args.length);
  for (let i = 0; i < n; i++) {
    let isNull = false;
    for (let k = 0; k < cols.length; k++) {
      const x = (cols[k] as unknown[])[i];
      if (x === null || x === undefined) {
        isNull = true;
        break;
      }
      xs[k] = x;
    }
    out[i] = isNull ? null : f(...xs);
  }
  if (kind === "num") {
    const values = new Float64Array(n);
    let valid: Uint8Array | null = null;
    for (let i = 0; i < n; i++) {
      const x = out[i];
      if (x === null || x === undefined) {
        valid ??= new Uint8Array(n).fill(1);
        valid[i] = 0;
      } else values[i] = x as number;
    }
    return { kind: "num", n, values, valid };
  }
  return kind === "str" ? { kind: "str", n, values: out as (string | null)[] } : { kind: "obj", n, values: out };
}

/** f over strings, NULL where the input is NULL. */
export function mapStr(a: Vec, kind: "num" | "str", f: (s: string) => unknown): Vec {
  return mapAny([a], a.n, kind, f as (...xs: unknown[]) => unknown);
}
