// Rejects regular expressions whose matching time can explode (ReDoS) before they reach the edge.

/** Longest `pattern` a contract may hold. */
export const MAX_PATTERN_LENGTH = 512;

interface Group {
  /** Index just after the group's `(` (0 for the whole pattern). */
  start: number;
  /** The group (or the whole pattern) contains a quantifier that can repeat more than once. */
  repeats: boolean;
  /** The group has alternatives (`|`). */
  alternatives: boolean;
}

/** Whether the character at `i` starts a quantifier that allows more than one repetition. */
function unboundedAt(p: string, i: number): { unbounded: boolean; length: number } | null {
  const c = p[i];
  if (c === "*" || c === "+") return { unbounded: true, length: 1 };
  if (c === "?") return { unbounded: false, length: 1 };
  if (c === "{") {
    const m = /^\{(\d+)(,(\d*))?\}/.exec(p.slice(i));
    if (!m) return null;
    const max = m[2] === undefined ? Number(m[1]) : m[3] === "" ? Number.POSITIVE_INFINITY : Number(m[3]);
    return { unbounded: max > 1, length: m[0].length };
  }
  return null;
}

/** Top-level alternatives of a group's text (nested groups and classes kept whole). */
function alternativesOf(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let inClass = false;
  let from = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "\\") i++;
    else if (inClass) inClass = c !== "]";
    else if (c === "[") inClass = true;
    else if (c === "(") depth++;
    else if (c === ")") depth--;
    else if (c === "|" && depth === 0) {
      out.push(text.slice(from, i));
      from = i + 1;
    }
  }
  out.push(text.slice(from));
  return out;
}

/**
 * Whether a repeated alternation may match one input in several ways: unless every alternative
 * starts with a distinct plain character (`(GET|PUT|DELETE)+`), assume it may.
 */
function overlapping(groupText: string): boolean {
  const body = groupText.startsWith("?:") ? groupText.slice(2) : groupText;
  const firsts = new Set<string>();
  for (const alt of alternativesOf(body)) {
    const first = alt[0];
    if (first === undefined || !/[A-Za-z0-9_\- ]/.test(first)) return true;
    if (firsts.has(first)) return true;
    firsts.add(first);
  }
  return false;
}

/**
 * Why a pattern is unsafe, or null when it is safe. Unsafe: too long, not a valid (unicode) regular
 * expression, a backreference, or a repeated group that itself repeats or alternates (`(a+)+`,
 * `(a|aa)*`, `(\w*\s*)*`): the star height above one that gives exponential backtracking.
 * Safe patterns match in time linear-to-quadratic in the input, and inputs are capped at 32 KB.
 */
export function unsafePattern(pattern: string): string | null {
  if (pattern.length > MAX_PATTERN_LENGTH) return `pattern is longer than ${MAX_PATTERN_LENGTH} characters`;
  try {
    new RegExp(pattern, "u");
  } catch (err) {
    return `pattern is not a valid regular expression: ${(err as Error).message}`;
  }
  if (/\\[1-9]|\\k</.test(pattern)) return "pattern uses a backreference, which can take exponential time";
  const stack: Group[] = [{ start: 0, repeats: false, alternatives: false }];
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === "\\") {
      i++;
      continue;
    }
    if (inClass) {
      if (c === "]") inClass = false;
      continue;
    }
    if (c === "[") {
      inClass = true;
      continue;
    }
    const top = stack[stack.length - 1] as Group;
    if (c === "(") {
      stack.push({ start: i + 1, repeats: false, alternatives: false });
      continue;
    }
    if (c === "|") {
      top.alternatives = true;
      continue;
    }
    if (c === ")") {
      const closed = stack.pop() as Group;
      const parent = stack[stack.length - 1] as Group;
      const q = unboundedAt(pattern, i + 1);
      if (q?.unbounded && (closed.repeats || (closed.alternatives && overlapping(pattern.slice(closed.start, i))))) {
        return "pattern repeats a group that itself repeats or alternates (nested quantifiers), which can take exponential time";
      }
      if (closed.repeats || q?.unbounded) parent.repeats = true;
      if (q) i += q.length;
      continue;
    }
    const q = unboundedAt(pattern, i);
    if (q?.unbounded) top.repeats = true;
  }
  return null;
}
