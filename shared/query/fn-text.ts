// String helpers of the second edition, with DuckDB's rules: the regexp family (RE2 syntax as far as
// JavaScript shares it), replace, split_part, starts_with, contains, trim, left and right.
import type { ScalarFn } from "./bound";
import { invalidSql } from "./errors";
import { mapAny } from "./kernels";

const regexCache = new Map<string, RegExp>();

/** A compiled pattern; DuckDB's options 'i' (case-insensitive), 'c' (case-sensitive), 's', 'g'. */
function regex(pattern: string, options = "", global = false): RegExp {
  const key = `${pattern}\u0000${options}\u0000${global}`;
  let re = regexCache.get(key);
  if (!re) {
    let flags = "u";
    if (options.includes("i") && !options.includes("c")) flags += "i";
    if (options.includes("s")) flags += "s";
    if (global) flags += "g";
    try {
      re = new RegExp(pattern, flags);
    } catch (error) {
      throw invalidSql(`Invalid regular expression ${JSON.stringify(pattern)}: ${(error as Error).message}`);
    }
    if (regexCache.size > 256) regexCache.clear();
    regexCache.set(key, re);
  }
  return re;
}

const fn = (name: string, kind: "num" | "str", f: (...xs: unknown[]) => unknown): ScalarFn => ({
  name,
  strict: true,
  impl: (args, n) => mapAny(args, n, kind, f),
});

export const regexpMatchesFn = fn("regexp_matches", "num", (s, p, o) =>
  regex(String(p), o === undefined ? "" : String(o)).test(String(s)) ? 1 : 0,
);

export const regexpExtractFn = fn("regexp_extract", "str", (s, p, g) => {
  const m = regex(String(p)).exec(String(s));
  if (!m) return "";
  const group = g === undefined ? 0 : Number(g);
  if (group < 0 || group >= m.length) throw invalidSql(`regexp_extract: pattern has no group ${group}`);
  return m[group] ?? "";
});

/** DuckDB's replacement text: \1…\9 are groups, \\ a backslash; `$` is literal. */
function replacement(text: string): string {
  return text.replace(/\$/g, "$$$$").replace(/\\(\d|\\)/g, (_, d: string) => (d === "\\" ? "\\" : `$${d}`));
}

export const regexpReplaceFn = fn("regexp_replace", "str", (s, p, r, o) => {
  const options = o === undefined ? "" : String(o);
  return String(s).replace(regex(String(p), options, options.includes("g")), replacement(String(r)));
});

export const replaceFn = fn("replace", "str", (s, from, to) =>
  String(from) === "" ? String(s) : String(s).split(String(from)).join(String(to)),
);

export const splitPartFn = fn("split_part", "str", (s, sep, idx) => {
  const str = String(s);
  const parts = String(sep) === "" ? Array.from(str) : str.split(String(sep));
  const i = Number(idx);
  if (i === 0) return "";
  const at = i > 0 ? i - 1 : parts.length + i;
  return parts[at] ?? "";
});

export const startsWithFn = fn("starts_with", "num", (s, p) => (String(s).startsWith(String(p)) ? 1 : 0));
export const containsFn = fn("contains", "num", (s, p) => (String(s).includes(String(p)) ? 1 : 0));

function trimmer(name: string, left: boolean, right: boolean): ScalarFn {
  return fn(name, "str", (s, chars) => {
    const set = new Set(Array.from(chars === undefined ? " " : String(chars)));
    const cs = Array.from(String(s));
    let a = 0;
    let b = cs.length;
    if (left) while (a < b && set.has(cs[a] as string)) a++;
    if (right) while (b > a && set.has(cs[b - 1] as string)) b--;
    return cs.slice(a, b).join("");
  });
}

export const trimFn = trimmer("trim", true, true);
export const ltrimFn = trimmer("ltrim", true, false);
export const rtrimFn = trimmer("rtrim", false, true);

export const leftFn = fn("left", "str", (s, n) => {
  const cs = Array.from(String(s));
  const k = Number(n);
  return (k >= 0 ? cs.slice(0, k) : cs.slice(0, Math.max(0, cs.length + k))).join("");
});

export const rightFn = fn("right", "str", (s, n) => {
  const cs = Array.from(String(s));
  const k = Number(n);
  return (k >= 0 ? cs.slice(Math.max(0, cs.length - k)) : cs.slice(Math.min(cs.length, -k))).join("");
});
