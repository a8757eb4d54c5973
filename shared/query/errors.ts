// Query errors: a closed union of codes the HTTP adapter maps to statuses (400, 413, 408).

export type QueryErrorCode = "INVALID_SQL" | "QUERY_TOO_LARGE" | "QUERY_TIMEOUT";

/** 1-based line and column in the SQL text. */
export interface SqlPosition {
  line: number;
  column: number;
}

/**
 * An error the caller is meant to see: bad SQL (including unknown names and conversion errors at
 * run time), a result past the row limit, or a query past its time limit.
 * @example throw new QueryError("INVALID_SQL", 'Table "nope" does not exist', { line: 1, column: 15 })
 */
export class QueryError extends Error {
  readonly code: QueryErrorCode;
  readonly position?: SqlPosition;

  constructor(code: QueryErrorCode, message: string, position?: SqlPosition) {
    super(message);
    this.name = "QueryError";
    this.code = code;
    if (position) this.position = position;
  }
}

/** Shorthand for the most common error. */
export function invalidSql(message: string, position?: SqlPosition): QueryError {
  return new QueryError("INVALID_SQL", message, position);
}

/** An INVALID_SQL error about a name; the caller that holds the SQL text adds where the name appears. */
export class NameError extends QueryError {
  readonly name_: string;

  constructor(message: string, name: string) {
    super("INVALID_SQL", message);
    this.name_ = name;
  }
}
