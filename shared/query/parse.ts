// SQL text to the engine's tree: guard the statement, parse with node-sql-parser (PostgreSQL build only).
import sqlParser from "node-sql-parser/build/postgresql.js";
import type { Select } from "./ast";
import { invalidSql, QueryError } from "./errors";
import { prepareForParser, type Token, tokenize } from "./lexer";
import { translateSelect } from "./translate";

// The build is CommonJS; bundlers and Node expose its exports as the default import.
const { Parser } = sqlParser as unknown as typeof import("node-sql-parser");
const parser = new Parser();

export interface Parsed {
  select: Select;
  sql: string;
  tokens: Token[];
}

/** Parse one SELECT statement, or throw QueryError INVALID_SQL with a position where one is known. */
export function parseQuery(sql: string): Parsed {
  const tokens = tokenize(sql);
  const text = prepareForParser(sql, tokens);
  let ast: unknown;
  try {
    ast = parser.astify(text, { database: "postgresql", parseOptions: { includeLocations: true } });
  } catch (error) {
    const loc = (error as { location?: { start?: { line: number; column: number } } }).location?.start;
    const found = /but (.+) found\.?$/.exec((error as Error).message ?? "")?.[1];
    const message = `Syntax error${loc ? ` at line ${loc.line}, column ${loc.column}` : ""}${found ? `: unexpected ${found}` : ""}`;
    throw invalidSql(message, loc ? { line: loc.line, column: loc.column } : undefined);
  }
  const statements = Array.isArray(ast) ? ast : [ast];
  if (statements.length !== 1) throw invalidSql("Only a single SELECT statement is allowed (found several statements)");
  try {
    return { select: translateSelect(statements[0]), sql, tokens };
  } catch (error) {
    if (error instanceof QueryError) throw error;
    throw invalidSql(`Unsupported query: ${(error as Error).message}`);
  }
}
