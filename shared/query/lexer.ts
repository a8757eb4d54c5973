// A small SQL tokenizer: enough to guard statements, rewrite `//` for the parser and locate names.
import { invalidSql, type SqlPosition } from "./errors";

export type TokenKind = "word" | "quoted" | "string" | "number" | "op" | "punct";

export interface Token {
  kind: TokenKind;
  /** Source text; for `quoted` the unescaped name, for `string` the unescaped value. */
  text: string;
  start: number;
  end: number;
}

const OP_CHARS = "+-*/<>=~!@#%^&|?:";
const MULTI_OPS = ["->>", "->", "::", "<=", ">=", "<>", "!=", "||", "//", "**"];

function isWordStart(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c >= 128;
}

function isWordPart(c: number): boolean {
  return isWordStart(c) || (c >= 48 && c <= 57) || c === 36;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** Read a quoted run starting at `start` (the opening quote); doubled quotes escape. */
function readQuoted(sql: string, start: number, quote: string): { value: string; end: number } {
  let value = "";
  let i = start + 1;
  for (;;) {
    const next = sql.indexOf(quote, i);
    if (next < 0)
      throw invalidSql(`Unterminated ${quote === "'" ? "string" : "quoted identifier"}`, positionAt(sql, start));
    value += sql.slice(i, next);
    if (sql[next + 1] === quote) {
      value += quote;
      i = next + 2;
    } else {
      return { value, end: next + 1 };
    }
  }
}

/** Split `sql` into tokens, skipping whitespace and comments. */
export function tokenize(sql: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const n = sql.length;
  while (i < n) {
    const c = sql.charCodeAt(i);
    if (c === 32 || c === 9 || c === 10 || c === 13 || c === 12) {
      i++;
    } else if (sql.startsWith("--", i)) {
      const eol = sql.indexOf("\n", i);
      i = eol < 0 ? n : eol + 1;
    } else if (sql.startsWith("/*", i)) {
      const close = sql.indexOf("*/", i + 2);
      if (close < 0) throw invalidSql("Unterminated comment", positionAt(sql, i));
      i = close + 2;
    } else if (c === 39) {
      const { value, end } = readQuoted(sql, i, "'");
      tokens.push({ kind: "string", text: value, start: i, end });
      i = end;
    } else if (c === 34) {
      const { value, end } = readQuoted(sql, i, '"');
      tokens.push({ kind: "quoted", text: value, start: i, end });
      i = end;
    } else if (isDigit(c) || (c === 46 && isDigit(sql.charCodeAt(i + 1)))) {
      let j = i;
      while (j < n && (isDigit(sql.charCodeAt(j)) || sql[j] === "." || sql[j] === "_")) j++;
      if ((sql[j] === "e" || sql[j] === "E") && /[-+]?\d/.test(sql.slice(j + 1, j + 3))) {
        j += sql[j + 1] === "-" || sql[j + 1] === "+" ? 2 : 1;
        while (j < n && isDigit(sql.charCodeAt(j))) j++;
      }
      tokens.push({ kind: "number", text: sql.slice(i, j), start: i, end: j });
      i = j;
    } else if (isWordStart(c)) {
      let j = i + 1;
      while (j < n && isWordPart(sql.charCodeAt(j))) j++;
      tokens.push({ kind: "word", text: sql.slice(i, j), start: i, end: j });
      i = j;
    } else if (c === 36 && sql[i + 1] === "$") {
      const close = sql.indexOf("$$", i + 2);
      if (close < 0) throw invalidSql("Unterminated string", positionAt(sql, i));
      tokens.push({ kind: "string", text: sql.slice(i + 2, close), start: i, end: close + 2 });
      i = close + 2;
    } else if (OP_CHARS.includes(sql[i] as string)) {
      const op = MULTI_OPS.find((m) => sql.startsWith(m, i)) ?? (sql[i] as string);
      tokens.push({ kind: "op", text: op, start: i, end: i + op.length });
      i += op.length;
    } else {
      tokens.push({ kind: "punct", text: sql[i] as string, start: i, end: i + 1 });
      i++;
    }
  }
  return tokens;
}

/** 1-based line and column of a character offset. */
export function positionAt(sql: string, offset: number): SqlPosition {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < sql.length; i++) {
    if (sql.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

/** Where a name (identifier or quoted identifier, case-insensitive) first appears, if it does. */
export function findName(sql: string, tokens: Token[], name: string): SqlPosition | undefined {
  const lower = name.toLowerCase();
  const token = tokens.find((t) => (t.kind === "word" || t.kind === "quoted") && t.text.toLowerCase() === lower);
  return token ? positionAt(sql, token.start) : undefined;
}

/**
 * Check the statement shape the parser cannot be trusted with, and rewrite DuckDB's integer division
 * `//` (a comment or an error in the parser's dialect) as `/~`, which parses at the same precedence
 * as `/` and keeps every offset; `~` itself is refused, so the marker cannot be forged.
 */
export function prepareForParser(sql: string, tokens: Token[]): string {
  const first = tokens[0];
  if (!first) throw invalidSql("Empty query: expected a SELECT statement");
  const firstWord = first.text.toUpperCase();
  if (!(first.kind === "word" && (firstWord === "SELECT" || firstWord === "WITH")) && first.text !== "(") {
    throw invalidSql(
      `Only a single SELECT statement is allowed (found ${first.kind === "word" ? firstWord : `"${first.text}"`})`,
      positionAt(sql, first.start),
    );
  }
  const semicolon = tokens.findIndex((t) => t.kind === "punct" && t.text === ";");
  if (semicolon >= 0 && tokens.slice(semicolon + 1).some((t) => !(t.kind === "punct" && t.text === ";"))) {
    throw invalidSql(
      "Only a single SELECT statement is allowed (found several statements)",
      positionAt(sql, (tokens[semicolon] as Token).start),
    );
  }
  let out = sql;
  for (const t of tokens) {
    if (t.kind !== "op") continue;
    if (t.text.includes("~")) throw invalidSql(`Operator "${t.text}" is not supported`, positionAt(sql, t.start));
    if (t.text === "//") out = `${out.slice(0, t.start)}/~${out.slice(t.end)}`;
  }
  return out;
}
