// What the parser's PostgreSQL grammar cannot read, taken out of the text before it parses: window
// specifications (`OVER (…)`, named `WINDOW` clauses: its frames lack RANGE and several functions),
// `QUALIFY`, and `INTERSECT ALL` / `EXCEPT ALL`. Each edit is recorded so that parser error
// positions still point into the user's text.
import { invalidSql } from "./errors";
import { positionAt, type Token } from "./lexer";

/** A window specification's tokens (inside its parentheses), or the name of a WINDOW clause entry. */
export type WindowText = { kind: "spec"; tokens: Token[]; at: number } | { kind: "named"; name: string; at: number };

export interface Rewritten {
  text: string;
  /** Window i is marked in the text as a cast to NUMERIC(99,i) right after its function call. */
  windows: WindowText[];
  /** WINDOW clause entries by lower-case name. */
  named: Map<string, Token[]>;
  /** For each UNION / INTERSECT / EXCEPT in text order: whether it is the ALL variant. */
  setOpAll: boolean[];
  /** An offset in `text` back to the user's text. */
  originalOffset(offset: number): number;
}

/** The marker precision: no real DECIMAL is this wide, so the cast cannot be confused with one. */
export const WINDOW_MARK_WIDTH = 99;
/** The name the QUALIFY condition travels under (as a one-entry WINDOW clause the parser keeps). */
export const QUALIFY_WINDOW = "tarn_qualify";

interface Edit {
  start: number;
  end: number;
  text: string;
}

const word = (t: Token | undefined, w: string) => t?.kind === "word" && t.text.toUpperCase() === w;

/** The index of the `)` closing the `(` at `open`. */
function closing(tokens: Token[], open: number, sql: string): number {
  let depth = 0;
  for (let i = open; i < tokens.length; i++) {
    const t = tokens[i] as Token;
    if (t.kind !== "punct") continue;
    if (t.text === "(") depth++;
    else if (t.text === ")" && --depth === 0) return i;
  }
  throw invalidSql("Unbalanced parentheses", positionAt(sql, (tokens[open] as Token).start));
}

const QUALIFY_END = new Set(["ORDER", "LIMIT", "OFFSET", "UNION", "INTERSECT", "EXCEPT", "WINDOW"]);

export function rewriteForParser(sql: string, tokens: Token[]): Rewritten {
  const edits: Edit[] = [];
  const windows: WindowText[] = [];
  const named = new Map<string, Token[]>();
  const setOpAll: boolean[] = [];
  const moves: { start: number; condStart: number; condEnd: number; at: number }[] = [];
  let i = 0;
  while (i < tokens.length) {
    const t = tokens[i] as Token;
    const next = tokens[i + 1];
    if (word(t, "OVER") && next) {
      let end: number;
      if (next.kind === "punct" && next.text === "(") {
        const close = closing(tokens, i + 1, sql);
        windows.push({ kind: "spec", tokens: tokens.slice(i + 2, close), at: t.start });
        end = close;
      } else if (next.kind === "word" || next.kind === "quoted") {
        windows.push({ kind: "named", name: next.text.toLowerCase(), at: t.start });
        end = i + 1;
      } else throw invalidSql("OVER needs a window: OVER (…) or OVER name", positionAt(sql, t.start));
      edits.push({
        start: t.start,
        end: (tokens[end] as Token).end,
        text: `::numeric(${WINDOW_MARK_WIDTH},${windows.length - 1})`,
      });
      i = end + 1;
      continue;
    }
    if (
      word(t, "WINDOW") &&
      (next?.kind === "word" || next?.kind === "quoted") &&
      word(tokens[i + 2], "AS") &&
      tokens[i + 3]?.text === "("
    ) {
      // WINDOW a AS (…) [, b AS (…)]…: kept aside, blanked out of the text.
      let j = i;
      for (;;) {
        const name = tokens[j + 1] as Token;
        const close = closing(tokens, j + 3, sql);
        named.set(name.text.toLowerCase(), tokens.slice(j + 4, close));
        j = close;
        const comma = tokens[j + 1];
        if (!(comma?.kind === "punct" && comma.text === ",")) break;
        j++;
        if (!word(tokens[j + 2], "AS") || tokens[j + 3]?.text !== "(")
          throw invalidSql("WINDOW clause: expected name AS (…)", positionAt(sql, comma.start));
      }
      edits.push({ start: t.start, end: (tokens[j] as Token).end, text: "" });
      i = j + 1;
      continue;
    }
    if (word(t, "QUALIFY")) {
      // The parser keeps a WINDOW clause only after ORDER BY and LIMIT (before them it silently
      // drops them), so QUALIFY cond moves to the end of its block as WINDOW tarn_qualify AS
      // (ORDER BY cond).
      let depth = 0;
      let j = i + 1;
      for (; j < tokens.length; j++) {
        const u = tokens[j] as Token;
        if (u.kind === "punct" && u.text === "(") depth++;
        else if (u.kind === "punct" && u.text === ")") {
          if (depth === 0) break;
          depth--;
        } else if (
          depth === 0 &&
          ((u.kind === "punct" && u.text === ";") || (u.kind === "word" && QUALIFY_END.has(u.text.toUpperCase())))
        )
          break;
      }
      if (j === i + 1) throw invalidSql("QUALIFY needs a condition", positionAt(sql, t.start));
      let k = j;
      depth = 0;
      for (; k < tokens.length; k++) {
        const u = tokens[k] as Token;
        if (u.kind === "punct" && u.text === "(") depth++;
        else if (u.kind === "punct" && u.text === ")") {
          if (depth === 0) break;
          depth--;
        } else if (
          depth === 0 &&
          ((u.kind === "punct" && u.text === ";") || word(u, "UNION") || word(u, "INTERSECT") || word(u, "EXCEPT"))
        )
          break;
      }
      const condStart = (tokens[i + 1] as Token).start;
      const condEnd = (tokens[j - 1] as Token).end;
      const at = k < tokens.length ? (tokens[k] as Token).start : sql.length;
      moves.push({ start: t.start, condStart, condEnd, at });
      i++;
      continue;
    }
    if (
      word(t, "NATURAL") &&
      (word(next, "JOIN") || word(next, "LEFT") || word(next, "RIGHT") || word(next, "FULL") || word(next, "INNER"))
    )
      throw invalidSql("NATURAL joins are not supported; use USING (…) or ON", positionAt(sql, t.start));
    if (word(t, "LATERAL")) throw invalidSql("LATERAL is not supported", positionAt(sql, t.start));
    if (word(t, "CROSS") && word(next, "JOIN")) {
      // The parser reads `a CROSS JOIN b` as `a AS cross JOIN b`; a comma is the same join.
      edits.push({ start: t.start, end: (next as Token).end, text: "," });
      i += 2;
      continue;
    }
    if (word(t, "UNION") || word(t, "INTERSECT") || word(t, "EXCEPT")) {
      const all = word(next, "ALL");
      setOpAll.push(all);
      if (all && !word(t, "UNION")) edits.push({ start: (next as Token).start, end: (next as Token).end, text: "" });
      else if (word(next, "DISTINCT")) edits.push({ start: (next as Token).start, end: (next as Token).end, text: "" });
    }
    i++;
  }
  // QUALIFY conditions move to their block's end, with the edits inside them applied.
  for (const m of moves) {
    const inside = edits.filter((e) => e.start >= m.condStart && e.end <= m.condEnd).sort((a, b) => a.start - b.start);
    let cond = "";
    let from = m.condStart;
    for (const e of inside) {
      cond += sql.slice(from, e.start) + e.text;
      from = e.end;
    }
    cond += sql.slice(from, m.condEnd);
    for (const e of inside) edits.splice(edits.indexOf(e), 1);
    edits.push({ start: m.start, end: m.condEnd, text: "" });
    edits.push({ start: m.at, end: m.at, text: ` WINDOW ${QUALIFY_WINDOW} AS (ORDER BY (${cond})) ` });
  }
  let text = "";
  let at = 0;
  // Where each edit lands in the new text, to map offsets back.
  const marks: { from: number; to: number; origStart: number; origEnd: number }[] = [];
  for (const e of edits.sort((a, b) => a.start - b.start)) {
    text += sql.slice(at, e.start);
    marks.push({ from: text.length, to: text.length + e.text.length, origStart: e.start, origEnd: e.end });
    text += e.text;
    at = e.end;
  }
  text += sql.slice(at);
  return {
    text,
    windows,
    named,
    setOpAll,
    originalOffset(offset: number) {
      let delta = 0;
      for (const m of marks) {
        if (offset < m.from) break;
        if (offset < m.to) return m.origStart;
        delta = m.origEnd - m.to;
      }
      return offset + delta;
    },
  };
}
