// Window specifications, kept aside by sql-rewrite.ts, to the engine's tree: PARTITION BY, ORDER BY
// (parsed by the parser as fragments) and the frame (read here: the parser's grammar lacks RANGE).
import type { Expr, FrameBound, OrderItem, WindowFrame, WindowSpec } from "./ast";
import { invalidSql } from "./errors";
import { positionAt, type Token } from "./lexer";
import type { WindowText } from "./sql-rewrite";
import { translation } from "./translate-context";
import { translateExpr } from "./translate-expr";

const word = (t: Token | undefined, w: string) => t?.kind === "word" && t.text.toUpperCase() === w;

/** Indices of tokens at parenthesis depth 0. */
function topLevel(tokens: Token[]): boolean[] {
  let depth = 0;
  return tokens.map((t) => {
    if (t.kind === "punct" && t.text === "(") return depth++ === 0 && false;
    if (t.kind === "punct" && t.text === ")") {
      depth--;
      return false;
    }
    return depth === 0;
  });
}

function slice(tokens: Token[], from: number, to: number): string {
  const { sql } = translation();
  if (from >= to)
    throw invalidSql("Empty clause in a window specification", positionAt(sql, tokens[from - 1]?.end ?? 0));
  return sql.slice((tokens[from] as Token).start, (tokens[to - 1] as Token).end);
}

function exprList(text: string): Expr[] {
  const ast = translation().parseFragment(`SELECT ${text}`);
  return (ast.columns ?? []).map((c: { expr: unknown }) => translateExpr(c.expr));
}

function orderList(text: string): OrderItem[] {
  const ast = translation().parseFragment(`SELECT 1 ORDER BY ${text}`);
  return (ast.orderby ?? []).map((o: { expr: unknown; type: unknown; nulls: unknown }) => {
    const nulls = String(o.nulls ?? "")
      .toUpperCase()
      .replace(/\s+/g, "");
    return {
      expr: translateExpr(o.expr),
      desc: String(o.type).toUpperCase() === "DESC",
      nullsFirst: nulls ? nulls === "NULLSFIRST" : null,
    };
  });
}

function frameBound(tokens: Token[], at: number, end: number): { bound: FrameBound; next: number } {
  const { sql } = translation();
  const t = tokens[at];
  const where = () => positionAt(sql, t?.start ?? tokens[at - 1]?.end ?? 0);
  if (word(t, "UNBOUNDED")) {
    if (word(tokens[at + 1], "PRECEDING")) return { bound: { kind: "unbounded_preceding" }, next: at + 2 };
    if (word(tokens[at + 1], "FOLLOWING")) return { bound: { kind: "unbounded_following" }, next: at + 2 };
    throw invalidSql("UNBOUNDED must be followed by PRECEDING or FOLLOWING", where());
  }
  if (word(t, "CURRENT") && word(tokens[at + 1], "ROW")) return { bound: { kind: "current_row" }, next: at + 2 };
  let j = at;
  while (j < end && !word(tokens[j], "PRECEDING") && !word(tokens[j], "FOLLOWING")) j++;
  if (j >= end || j === at)
    throw invalidSql("Window frame bound: expected N PRECEDING, N FOLLOWING, CURRENT ROW or UNBOUNDED", where());
  const [offset] = exprList(slice(tokens, at, j));
  if (!offset) throw invalidSql("Window frame bound needs an offset", where());
  return { bound: { kind: word(tokens[j], "PRECEDING") ? "preceding" : "following", offset }, next: j + 1 };
}

function frame(tokens: Token[], at: number): WindowFrame {
  const { sql } = translation();
  const unitToken = tokens[at] as Token;
  const unit = unitToken.text.toUpperCase();
  if (unit === "GROUPS")
    throw invalidSql("GROUPS frames are not supported; use ROWS or RANGE", positionAt(sql, unitToken.start));
  const end = tokens.length;
  const exclude = tokens.findIndex((t, i) => i > at && word(t, "EXCLUDE"));
  if (exclude >= 0)
    throw invalidSql("EXCLUDE in window frames is not supported", positionAt(sql, (tokens[exclude] as Token).start));
  let start: FrameBound;
  let stop: FrameBound = { kind: "current_row" };
  let next: number;
  if (word(tokens[at + 1], "BETWEEN")) {
    const andAt = tokens.findIndex((t, i) => i > at + 1 && word(t, "AND"));
    if (andAt < 0) throw invalidSql("Window frame: BETWEEN needs AND", positionAt(sql, unitToken.start));
    ({ bound: start } = frameBound(tokens, at + 2, andAt));
    ({ bound: stop, next } = frameBound(tokens, andAt + 1, end));
  } else ({ bound: start, next } = frameBound(tokens, at + 1, end));
  if (next < end)
    throw invalidSql(
      `Unexpected "${(tokens[next] as Token).text}" in a window frame`,
      positionAt(sql, (tokens[next] as Token).start),
    );
  if (start.kind === "unbounded_following" || stop.kind === "unbounded_preceding")
    throw invalidSql(
      "Window frame: the start cannot be UNBOUNDED FOLLOWING nor the end UNBOUNDED PRECEDING",
      positionAt(sql, unitToken.start),
    );
  return { unit: unit === "ROWS" ? "rows" : "range", start, end: stop };
}

/** A window specification (inline or named, possibly based on a named one) as the engine's tree. */
export function translateWindow(w: WindowText): WindowSpec {
  const ctx = translation();
  const spec = (tokens: Token[], depth: number): WindowSpec => {
    const top = topLevel(tokens);
    const find = (pred: (t: Token, i: number) => boolean) => tokens.findIndex((t, i) => top[i] && pred(t, i));
    const partitionAt = find((t, i) => word(t, "PARTITION") && word(tokens[i + 1], "BY"));
    const orderAt = find((t, i) => word(t, "ORDER") && word(tokens[i + 1], "BY"));
    const frameAt = find((t) => word(t, "ROWS") || word(t, "RANGE") || word(t, "GROUPS"));
    const firstClause = [partitionAt, orderAt, frameAt]
      .filter((x) => x >= 0)
      .reduce((a, b) => Math.min(a, b), tokens.length);
    let base: WindowSpec = { partitionBy: [], orderBy: [], frame: null };
    if (firstClause > 0) {
      const name = tokens[0] as Token;
      const named = ctx.rewritten.named.get(name.text.toLowerCase());
      if (firstClause !== 1 || !named || depth > 8)
        throw invalidSql(`Window "${name.text}" is not defined`, positionAt(ctx.sql, name.start));
      base = spec(named, depth + 1);
    }
    const ends = (from: number) =>
      [partitionAt, orderAt, frameAt].filter((x) => x > from).reduce((a, b) => Math.min(a, b), tokens.length);
    const partitionBy =
      partitionAt >= 0 ? exprList(slice(tokens, partitionAt + 2, ends(partitionAt))) : base.partitionBy;
    const orderBy = orderAt >= 0 ? orderList(slice(tokens, orderAt + 2, ends(orderAt))) : base.orderBy;
    return { partitionBy, orderBy, frame: frameAt >= 0 ? frame(tokens, frameAt) : base.frame };
  };
  if (w.kind === "named") {
    const tokens = ctx.rewritten.named.get(w.name);
    if (!tokens) throw invalidSql(`Window "${w.name}" is not defined`, positionAt(ctx.sql, w.at));
    return spec(tokens, 0);
  }
  return spec(w.tokens, 0);
}
