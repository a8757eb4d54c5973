// Column vectors: how a batch holds values. Numbers (also booleans 0/1 and epoch-ms times) in typed arrays.

export interface NumVec {
  kind: "num";
  n: number;
  values: Float64Array;
  /** 1 = valid; null when every value is valid. */
  valid: Uint8Array | null;
}

export interface StrVec {
  kind: "str";
  n: number;
  values: (string | null)[];
}

/** Values without a typed array (intervals); null is NULL. */
export interface ObjVec {
  kind: "obj";
  n: number;
  values: unknown[];
}

/** Dictionary-encoded: row i is dict[codes[i]], or NULL when the code is -1. */
export interface DictVec {
  kind: "dict";
  n: number;
  dict: Vec;
  codes: Int32Array;
}

export interface ConstVec {
  kind: "const";
  n: number;
  value: unknown;
}

export type Vec = NumVec | StrVec | ObjVec | DictVec | ConstVec;

/** A batch of rows: one vector per column slot the query reads (others undefined). */
export interface Batch {
  n: number;
  cols: (Vec | undefined)[];
}

export function constVec(value: unknown, n: number): ConstVec {
  return { kind: "const", n, value };
}

/** The value at row i, in its physical form (number, string, object) or null. */
export function valueAt(v: Vec, i: number): unknown {
  switch (v.kind) {
    case "num":
      return v.valid && v.valid[i] === 0 ? null : v.values[i];
    case "str":
    case "obj":
      return v.values[i] ?? null;
    case "dict": {
      const code = v.codes[i] as number;
      return code < 0 ? null : valueAt(v.dict, code);
    }
    case "const":
      return v.value;
  }
}

export function isNullAt(v: Vec, i: number): boolean {
  return valueAt(v, i) === null;
}

/** Numbers and validity for every row (materializing constants and dictionaries). */
export function asNum(v: Vec): { values: Float64Array; valid: Uint8Array | null } {
  if (v.kind === "num") return v;
  const n = v.n;
  const values = new Float64Array(n);
  if (v.kind === "const") {
    if (v.value === null) return { values, valid: new Uint8Array(n) };
    values.fill(v.value as number);
    return { values, valid: null };
  }
  if (v.kind === "dict") {
    const d = asNum(v.dict);
    const codes = v.codes;
    let valid: Uint8Array | null = null;
    for (let i = 0; i < n; i++) {
      const c = codes[i] as number;
      if (c < 0 || (d.valid && d.valid[c] === 0)) {
        valid ??= new Uint8Array(n).fill(1);
        valid[i] = 0;
      } else values[i] = d.values[c] as number;
    }
    return { values, valid };
  }
  let valid: Uint8Array | null = null;
  for (let i = 0; i < n; i++) {
    const x = v.values[i];
    if (x === null || x === undefined) {
      valid ??= new Uint8Array(n).fill(1);
      valid[i] = 0;
    } else values[i] = x as number;
  }
  return { values, valid };
}

/** Strings (or null) for every row. */
export function asStr(v: Vec): (string | null)[] {
  if (v.kind === "str") return v.values;
  const out: (string | null)[] = new Array(v.n);
  if (v.kind === "dict") {
    const d = asStr(v.dict);
    const codes = v.codes;
    for (let i = 0; i < v.n; i++) {
      const c = codes[i] as number;
      out[i] = c < 0 ? null : (d[c] ?? null);
    }
    return out;
  }
  for (let i = 0; i < v.n; i++) out[i] = valueAt(v, i) as string | null;
  return out;
}

/** Any values (physical form) for every row. */
export function asAny(v: Vec): unknown[] {
  if (v.kind === "str" || v.kind === "obj") return v.values;
  const out: unknown[] = new Array(v.n);
  for (let i = 0; i < v.n; i++) out[i] = valueAt(v, i);
  return out;
}

/** Build a vector from values of one physical kind. */
export function fromValues(kind: "num" | "str" | "obj", values: unknown[]): Vec {
  const n = values.length;
  if (kind === "str") return { kind: "str", n, values: values as (string | null)[] };
  if (kind === "obj") return { kind: "obj", n, values };
  const out = new Float64Array(n);
  let valid: Uint8Array | null = null;
  for (let i = 0; i < n; i++) {
    const x = values[i];
    if (x === null || x === undefined) {
      valid ??= new Uint8Array(n).fill(1);
      valid[i] = 0;
    } else out[i] = typeof x === "boolean" ? (x ? 1 : 0) : (x as number);
  }
  return { kind: "num", n, values: out, valid };
}

/** Keep only rows `sel[0..count)`. */
export function gather(v: Vec, sel: Int32Array, count: number): Vec {
  switch (v.kind) {
    case "const":
      return { kind: "const", n: count, value: v.value };
    case "num": {
      const values = new Float64Array(count);
      const src = v.values;
      for (let i = 0; i < count; i++) values[i] = src[sel[i] as number] as number;
      let valid: Uint8Array | null = null;
      if (v.valid) {
        valid = new Uint8Array(count);
        const sv = v.valid;
        for (let i = 0; i < count; i++) valid[i] = sv[sel[i] as number] as number;
      }
      return { kind: "num", n: count, values, valid };
    }
    case "dict": {
      const codes = new Int32Array(count);
      const src = v.codes;
      for (let i = 0; i < count; i++) codes[i] = src[sel[i] as number] as number;
      return { kind: "dict", n: count, dict: v.dict, codes };
    }
    default: {
      const values: unknown[] = new Array(count);
      const src = v.values;
      for (let i = 0; i < count; i++) values[i] = src[sel[i] as number];
      return v.kind === "str"
        ? { kind: "str", n: count, values: values as (string | null)[] }
        : { kind: "obj", n: count, values };
    }
  }
}

/** Keep rows of a batch; columns not yet needed are dropped by leaving them undefined. */
export function gatherBatch(batch: Batch, sel: Int32Array, count: number): Batch {
  if (count === batch.n) return batch;
  return { n: count, cols: batch.cols.map((c) => (c ? gather(c, sel, count) : undefined)) };
}

/** Rows where a BOOLEAN vector is true (not false, not NULL). */
export function selectTrue(v: Vec): { sel: Int32Array; count: number } {
  const n = v.n;
  const sel = new Int32Array(n);
  let count = 0;
  if (v.kind === "const") {
    if (v.value === 1 || v.value === true) for (let i = 0; i < n; i++) sel[count++] = i;
    return { sel, count };
  }
  if (v.kind === "dict") {
    const d = asNum(v.dict);
    const ok = new Uint8Array(d.values.length);
    for (let c = 0; c < ok.length; c++) ok[c] = d.values[c] === 1 && (!d.valid || d.valid[c] === 1) ? 1 : 0;
    const codes = v.codes;
    for (let i = 0; i < n; i++) {
      const c = codes[i] as number;
      if (c >= 0 && ok[c] === 1) sel[count++] = i;
    }
    return { sel, count };
  }
  const { values, valid } = asNum(v);
  if (valid) {
    for (let i = 0; i < n; i++) if (values[i] === 1 && valid[i] === 1) sel[count++] = i;
  } else {
    for (let i = 0; i < n; i++) if (values[i] === 1) sel[count++] = i;
  }
  return { sel, count };
}

/** Concatenate vectors of one physical kind (used to assemble small results). */
export function concatVecs(kind: "num" | "str" | "obj", vecs: Vec[]): Vec {
  let n = 0;
  for (const v of vecs) n += v.n;
  if (kind === "num") {
    // Straight into one typed array: numbers never pass through a boxed array.
    const values = new Float64Array(n);
    let valid: Uint8Array | null = null;
    let o = 0;
    for (const v of vecs) {
      const part = asNum(v);
      values.set(part.values, o);
      if (part.valid) {
        valid ??= new Uint8Array(n).fill(1);
        valid.set(part.valid, o);
      }
      o += v.n;
    }
    return { kind: "num", n, values, valid };
  }
  const values: unknown[] = new Array(n);
  let o = 0;
  for (const v of vecs) {
    if (v.kind === "dict") {
      // Each dictionary entry resolved once, then rows index it.
      const entries = asAny(v.dict);
      const codes = v.codes;
      for (let i = 0; i < v.n; i++, o++) {
        const c = codes[i] as number;
        values[o] = c < 0 ? null : (entries[c] ?? null);
      }
    } else if (v.kind === "str" || v.kind === "obj") {
      const src = v.values;
      for (let i = 0; i < v.n; i++, o++) values[o] = src[i] ?? null;
    } else for (let i = 0; i < v.n; i++, o++) values[o] = valueAt(v, i);
  }
  return fromValues(kind, values);
}

/** 1 for each dictionary entry that is not NULL. */
export function nonNullEntries(dict: Vec): Uint8Array {
  const ok = new Uint8Array(dict.n);
  for (let c = 0; c < dict.n; c++) ok[c] = valueAt(dict, c) === null ? 0 : 1;
  return ok;
}

/** Which dictionary entries a batch uses. */
export function usedCodes(v: DictVec): Uint8Array {
  const seen = new Uint8Array(v.dict.n);
  const codes = v.codes;
  for (let i = 0; i < v.n; i++) {
    const c = codes[i] as number;
    if (c >= 0) seen[c] = 1;
  }
  return seen;
}
