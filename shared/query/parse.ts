// SQL text to the engine's tree: guard the statement, parse with node-sql-parser (PostgreSQL build only).
import sqlParser from "node-sql-parser/build/postgresql.js";
import type { Select } from "./ast";
import { invalidSql, QueryError } from "./errors";
import { positionAt, prepareForParser, type Token, tokenize } from "./lexer";
import { rewriteForParser } from "./sql-rewrite";
import { translateSelect } from "./translate";
import { withTranslation } from "./translate-context";
import { translateWindow } from "./translate-window";

// The build is CommonJS; bundlers and Node expose its exports as the default import.
const { Parser } = sqlParser as unknown as typeof import("node-sql-parser");
const parser = new Parser();

export interface Parsed {
  select: Select;
  sql: string;
  tokens: Token[];
}

/** Parsed statements kept per isolate, by their text (a query's splits, a dashboard's refreshes). */
const PARSED_KEPT = 64;
const parsedByText = new Map<string, Parsed>();

/** Freezes the whole tree: a parsed statement is shared by every reader of the cache, so none may change it. */
function deepFreeze<T>(value: T): T {
  if (value === null || typeof value !== "object" || Object.isFrozen(value)) return value;
  Object.freeze(value);
  for (const v of Object.values(value)) deepFreeze(v);
  return value;
}

/**
 * Parse one SELECT statement, or throw QueryError INVALID_SQL with a position where one is known.
 * Parsing is the costliest fixed step of a query (node-sql-parser is a PEG parser), and a query's
 * splits and repeated dashboard queries send the same text: the last 64 statements are kept, frozen.
 */
export function parseQuery(sql: string): Parsed {
  const kept = parsedByText.get(sql);
  if (kept) {
    // Most recently used last: the oldest is the first key.
    parsedByText.delete(sql);
    parsedByText.set(sql, kept);
    return kept;
  }
  const parsed = deepFreeze(parseUncached(sql));
  parsedByText.set(sql, parsed);
  if (parsedByText.size > PARSED_KEPT) parsedByText.delete(parsedByText.keys().next().value as string);
  return parsed;
}

function parseUncached(sql: string): Parsed {
  const tokens = tokenize(sql);
  const prepared = prepareForParser(sql, tokens);
  const rewritten = rewriteForParser(prepared, tokens);
  const text = rewritten.text;
  let ast: unknown;
  try {
    ast = parser.astify(text, { database: "postgresql", parseOptions: { includeLocations: true } });
  } catch (error) {
    const loc = (error as { location?: { start?: { offset?: number } } }).location?.start;
    const found = /but (.+) found\.?$/.exec((error as Error).message ?? "")?.[1];
    const at = typeof loc?.offset === "number" ? positionAt(sql, rewritten.originalOffset(loc.offset)) : undefined;
    const message = `Syntax error${at ? ` at line ${at.line}, column ${at.column}` : ""}${found ? `: unexpected ${found}` : ""}`;
    throw invalidSql(message, at);
  }
  const statements = Array.isArray(ast) ? ast : [ast];
  if (statements.length !== 1) throw invalidSql("Only a single SELECT statement is allowed (found several statements)");
  const parseFragment = (fragment: string) => {
    const fragmentText = prepareForParser(fragment, tokenize(fragment));
    try {
      return parser.astify(fragmentText, { database: "postgresql" });
    } catch {
      throw invalidSql(`Syntax error in a window specification or frame: ${fragment.slice(0, 80)}`);
    }
  };
  try {
    const ctx = { sql, rewritten, setOps: 0, select: translateSelect, window: translateWindow, parseFragment };
    return { select: withTranslation(ctx, () => translateSelect(statements[0])), sql, tokens };
  } catch (error) {
    if (error instanceof QueryError) throw error;
    throw invalidSql(`Unsupported query: ${(error as Error).message}`);
  }
}
