// JSON paths over JSON text without building objects: find a value's span, then render it as DuckDB does.
import { invalidSql } from "./errors";

export type PathStep = { key: string } | { index: number };

/** `$.a.b[0]`, `$."a b"`, `$[#-1]`, `/a/0` (JSON pointer) or a bare key; null when malformed. */
export function parsePath(path: string | number): PathStep[] {
  if (typeof path === "number") return [{ index: path }];
  if (path.startsWith("/")) {
    return path
      .slice(1)
      .split("/")
      .map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"))
      .map((p) => (/^\d+$/.test(p) ? { index: Number(p) } : { key: p }));
  }
  if (!path.startsWith("$")) return [{ key: path }];
  const steps: PathStep[] = [];
  let i = 1;
  while (i < path.length) {
    const c = path[i];
    if (c === ".") {
      i++;
      if (path[i] === '"') {
        const close = path.indexOf('"', i + 1);
        if (close < 0) throw invalidSql(`Invalid JSON path '${path}'`);
        steps.push({ key: path.slice(i + 1, close) });
        i = close + 1;
      } else {
        let j = i;
        while (j < path.length && path[j] !== "." && path[j] !== "[") j++;
        if (j === i) throw invalidSql(`Invalid JSON path '${path}'`);
        steps.push({ key: path.slice(i, j) });
        i = j;
      }
    } else if (c === "[") {
      const close = path.indexOf("]", i);
      if (close < 0) throw invalidSql(`Invalid JSON path '${path}'`);
      const inner = path.slice(i + 1, close).trim();
      const m = /^(#\s*-\s*)?(-?\d+)$/.exec(inner);
      if (!m) throw invalidSql(`Invalid JSON path '${path}'`);
      const n = Number(m[2]);
      steps.push({ index: m[1] ? -n : n });
      i = close + 1;
    } else {
      throw invalidSql(`Invalid JSON path '${path}'`);
    }
  }
  return steps;
}

function skipWs(t: string, i: number): number {
  for (;;) {
    const c = t.charCodeAt(i);
    if (c === 32 || c === 10 || c === 13 || c === 9) i++;
    else return i;
  }
}

/** End (exclusive) of the string starting at the quote at i. */
function skipString(t: string, i: number): number {
  let j = i + 1;
  for (;;) {
    const q = t.indexOf('"', j);
    if (q < 0) throw invalidSql("Malformed JSON: unterminated string");
    let bs = 0;
    for (let k = q - 1; t.charCodeAt(k) === 92; k--) bs++;
    if (bs % 2 === 0) return q + 1;
    j = q + 1;
  }
}

/** End (exclusive) of the value starting at i (i at its first character). */
function skipValue(t: string, i: number): number {
  const c = t.charCodeAt(i);
  if (c === 34) return skipString(t, i);
  if (c === 123 || c === 91) {
    let depth = 0;
    let j = i;
    while (j < t.length) {
      const d = t.charCodeAt(j);
      if (d === 34) {
        j = skipString(t, j);
        continue;
      }
      if (d === 123 || d === 91) depth++;
      else if (d === 125 || d === 93) {
        depth--;
        if (depth === 0) return j + 1;
      }
      j++;
    }
    throw invalidSql("Malformed JSON: unbalanced brackets");
  }
  let j = i;
  while (j < t.length) {
    const d = t.charCodeAt(j);
    if (d === 44 || d === 125 || d === 93 || d === 32 || d === 10 || d === 13 || d === 9) break;
    j++;
  }
  if (j === i) throw invalidSql("Malformed JSON: expected a value");
  return j;
}

function keyEquals(t: string, start: number, end: number, key: string): boolean {
  const raw = t.slice(start + 1, end - 1);
  if (raw.indexOf("\\") < 0) return raw === key;
  return JSON.parse(t.slice(start, end)) === key;
}

/** [start, end) of the value a path selects in JSON text, or null when absent. */
export function findValue(t: string, steps: PathStep[]): [number, number] | null {
  let i = skipWs(t, 0);
  for (const step of steps) {
    const open = t.charCodeAt(i);
    if ("key" in step) {
      if (open !== 123) return null;
      i = skipWs(t, i + 1);
      if (t.charCodeAt(i) === 125) return null;
      let found = -1;
      for (;;) {
        if (t.charCodeAt(i) !== 34) throw invalidSql("Malformed JSON: expected a key");
        const keyEnd = skipString(t, i);
        const match = keyEquals(t, i, keyEnd, step.key);
        i = skipWs(t, keyEnd);
        if (t.charCodeAt(i) !== 58) throw invalidSql("Malformed JSON: expected ':'");
        i = skipWs(t, i + 1);
        if (match) {
          found = i; // the first of duplicate keys wins, as in yyjson
          break;
        }
        i = skipWs(t, skipValue(t, i));
        const sep = t.charCodeAt(i);
        if (sep === 125) return null;
        if (sep !== 44) throw invalidSql("Malformed JSON: expected ',' or '}'");
        i = skipWs(t, i + 1);
      }
      i = found;
    } else {
      if (open !== 91) return null;
      let index = step.index;
      if (index < 0) {
        let count = 0;
        let j = skipWs(t, i + 1);
        if (t.charCodeAt(j) !== 93) {
          for (;;) {
            count++;
            j = skipWs(t, skipValue(t, j));
            if (t.charCodeAt(j) === 93) break;
            j = skipWs(t, j + 1);
          }
        }
        index += count;
        if (index < 0) return null;
      }
      i = skipWs(t, i + 1);
      if (t.charCodeAt(i) === 93) return null;
      for (let k = 0; k < index; k++) {
        i = skipWs(t, skipValue(t, i));
        if (t.charCodeAt(i) !== 44) return null;
        i = skipWs(t, i + 1);
      }
    }
  }
  return [i, skipValue(t, i)];
}

/** A JSON number as DuckDB (yyjson) writes it back: integers verbatim, reals in shortest form. */
export function canonicalNumber(raw: string): string {
  if (/^-?\d+$/.test(raw)) return raw === "-0" ? "0" : raw;
  const x = Number(raw);
  if (Object.is(x, -0)) return "-0.0";
  let s = String(x);
  if (Number.isInteger(x) && !s.includes("e")) s += ".0";
  return s.replace("e+", "e");
}

/** JSON text re-serialized compactly, the way DuckDB's json_extract returns it. */
export function canonicalJson(t: string, start: number, end: number): string {
  let out = "";
  let i = start;
  while (i < end) {
    const c = t.charCodeAt(i);
    if (c === 32 || c === 10 || c === 13 || c === 9) {
      i++;
    } else if (c === 34) {
      const close = skipString(t, i);
      const raw = t.slice(i, close);
      out += raw.indexOf("\\") < 0 ? raw : JSON.stringify(JSON.parse(raw));
      i = close;
    } else if (c === 45 || (c >= 48 && c <= 57)) {
      const close = skipValue(t, i);
      out += canonicalNumber(t.slice(i, close));
      i = close;
    } else {
      out += t[i];
      i++;
    }
  }
  return out;
}

/** json_extract_string: strings unquoted, JSON null as SQL NULL, anything else as canonical JSON text. */
export function extractString(t: string, steps: PathStep[]): string | null {
  const span = findValue(t, steps);
  if (!span) return null;
  const [s, e] = span;
  const c = t.charCodeAt(s);
  if (c === 34) {
    const raw = t.slice(s + 1, e - 1);
    return raw.indexOf("\\") < 0 ? raw : (JSON.parse(t.slice(s, e)) as string);
  }
  if (c === 110) return null;
  return canonicalJson(t, s, e);
}

/** json_extract: the selected value as canonical JSON text (JSON null stays the text `null`). */
export function extractJson(t: string, steps: PathStep[]): string | null {
  const span = findValue(t, steps);
  return span ? canonicalJson(t, span[0], span[1]) : null;
}
