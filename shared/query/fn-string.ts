// String functions and LIKE: lower, upper, length, substr, concat and ||, with DuckDB's edge rules.
import type { ScalarFn } from "./bound";
import { mapAny, mapStr } from "./kernels";
import { asStr, type Vec } from "./vector";

const SURROGATE = /[\uD800-\uDFFF]/;

/** Characters (code points) in a string. */
export function charLength(s: string): number {
  if (!SURROGATE.test(s)) return s.length;
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/** DuckDB's substring: 1-based start, negative start counts from the end, negative length looks back. */
export function substring(s: string, start: number, length = Number.MAX_SAFE_INTEGER): string {
  const chars = SURROGATE.test(s) ? Array.from(s) : null;
  const len = chars ? chars.length : s.length;
  let begin = start > 0 ? start - 1 : start === 0 ? -1 : len + start;
  let end: number;
  if (length >= 0) end = begin + length;
  else {
    end = begin;
    begin += length;
  }
  begin = Math.max(0, Math.min(len, begin));
  end = Math.max(0, Math.min(len, end));
  if (end <= begin) return "";
  return chars ? chars.slice(begin, end).join("") : s.slice(begin, end);
}

export const lowerFn: ScalarFn = {
  name: "lower",
  strict: true,
  impl: ([a]) => mapStr(a as Vec, "str", (s) => s.toLowerCase()),
};
export const upperFn: ScalarFn = {
  name: "upper",
  strict: true,
  impl: ([a]) => mapStr(a as Vec, "str", (s) => s.toUpperCase()),
};
export const lengthFn: ScalarFn = { name: "length", strict: true, impl: ([a]) => mapStr(a as Vec, "num", charLength) };

export const substrFn: ScalarFn = {
  name: "substr",
  strict: true,
  impl: (args, n) =>
    mapAny(args, n, "str", (s, start, len) =>
      substring(s as string, start as number, len === undefined ? undefined : (len as number)),
    ),
};

/** `a || b`: NULL when either side is NULL. */
export const concatOpFn: ScalarFn = {
  name: "||",
  strict: true,
  impl: (args, n) => mapAny(args, n, "str", (a, b) => `${a}${b}`),
};

/** concat(...): NULL arguments count as empty strings. */
export const concatFn: ScalarFn = {
  name: "concat",
  strict: false,
  impl(args, n) {
    const cols = args.map(asStr);
    const out: string[] = new Array(n);
    for (let i = 0; i < n; i++) {
      let s = "";
      for (const c of cols) s += c[i] ?? "";
      out[i] = s;
    }
    return { kind: "str", n, values: out };
  },
};

/** A matcher for a LIKE pattern: `%` any run, `_` one character, `escapeChar` quotes the next character. */
export function likeMatcher(
  pattern: string,
  caseInsensitive: boolean,
  escapeChar: string | null,
): (s: string) => boolean {
  const p = caseInsensitive ? pattern.toLowerCase() : pattern;
  const hasEscape = escapeChar !== null && p.includes(escapeChar);
  if (!hasEscape && !p.includes("_")) {
    const parts = p.split("%");
    const fold = caseInsensitive ? (s: string) => s.toLowerCase() : (s: string) => s;
    if (parts.length === 1) return (s) => fold(s) === p;
    if (parts.length === 2) {
      const [head = "", tail = ""] = parts;
      return (s) => {
        const t = fold(s);
        return t.length >= head.length + tail.length && t.startsWith(head) && t.endsWith(tail);
      };
    }
    if (parts.length === 3 && parts[0] === "" && parts[2] === "") {
      const mid = parts[1] as string;
      return (s) => fold(s).includes(mid);
    }
  }
  let re = "^";
  for (let i = 0; i < p.length; i++) {
    const c = p[i] as string;
    if (hasEscape && c === escapeChar) {
      const next = p[++i] ?? "";
      re += next.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
    } else if (c === "%") re += "[\\s\\S]*";
    else if (c === "_") re += "[\\s\\S]";
    else re += c.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
  }
  const regex = new RegExp(`${re}$`, caseInsensitive ? "iu" : "u");
  return (s) => regex.test(s);
}

export function likeFn(caseInsensitive: boolean, negated: boolean, escapeChar: string | null): ScalarFn {
  const yes = negated ? 0 : 1;
  return {
    name: `${negated ? "NOT " : ""}${caseInsensitive ? "ILIKE" : "LIKE"}${escapeChar === null ? "" : ` ESCAPE ${escapeChar}`}`,
    strict: true,
    impl(args, n) {
      const [a, p] = args as [Vec, Vec];
      if (p.kind === "const") {
        if (p.value === null) return { kind: "const", n, value: null };
        const match = likeMatcher(p.value as string, caseInsensitive, escapeChar);
        return mapStr(a, "num", (s) => (match(s) ? yes : 1 - yes));
      }
      const cache = new Map<string, (s: string) => boolean>();
      return mapAny(args, n, "num", (s, pat) => {
        let m = cache.get(pat as string);
        if (!m) {
          m = likeMatcher(pat as string, caseInsensitive, escapeChar);
          cache.set(pat as string, m);
        }
        return m(s as string) ? yes : 1 - yes;
      });
    },
  };
}
