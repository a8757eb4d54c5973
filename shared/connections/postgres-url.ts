// A PostgreSQL connection URL (`postgres://user:password@host:port/database?sslmode=…`) checked and
// split into what may be shown (host, port, database, user) and what may not (the password).
import { TarnError } from "../errors";

export type SslMode = "disable" | "prefer" | "require";

export interface PostgresTarget {
  host: string;
  port: number;
  database: string;
  user: string;
  password: string;
  ssl: SslMode;
}

const SSL_MODES: Record<string, SslMode> = {
  disable: "disable",
  allow: "prefer",
  prefer: "prefer",
  require: "require",
  "verify-ca": "require",
  "verify-full": "require",
};

function invalid(message: string): TarnError {
  return new TarnError("VALIDATION_ERROR", message, { details: { field: "url" } });
}

/** The parts of a `postgres://` or `postgresql://` URL; a malformed one is a 400 naming what is wrong. */
export function parsePostgresUrl(raw: string): PostgresTarget {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw invalid("url is not a URL: expected postgres://user:password@host:port/database");
  }
  if (url.protocol !== "postgres:" && url.protocol !== "postgresql:") {
    throw invalid(`url must start with postgres:// or postgresql:// (not ${url.protocol}//)`);
  }
  const host = decodeURIComponent(url.hostname).replace(/^\[|\]$/g, "");
  if (!host) throw invalid("url has no host");
  const port = url.port === "" ? 5432 : Number(url.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw invalid("url's port must be 1–65535");
  const database = decodeURIComponent(url.pathname.replace(/^\//, ""));
  if (!database || database.includes("/")) throw invalid("url must name one database: postgres://…/database");
  const user = decodeURIComponent(url.username);
  if (!user) throw invalid("url has no user: postgres://user:password@host/database");
  const sslParam = url.searchParams.get("sslmode") ?? "prefer";
  const ssl = SSL_MODES[sslParam];
  if (!ssl) throw invalid(`sslmode must be one of ${Object.keys(SSL_MODES).join(", ")}`);
  for (const key of url.searchParams.keys()) {
    if (key !== "sslmode") throw invalid(`url parameter "${key}" is not supported (only sslmode)`);
  }
  return { host, port, database, user, password: decodeURIComponent(url.password), ssl };
}

/** A source table as SQL: `table` or `schema.table`, each part quoted exactly as given. */
export function quotedTable(table: string): string {
  const parts = table.split(".");
  if (parts.length > 2 || parts.some((p) => p.trim() === "")) {
    throw new TarnError("VALIDATION_ERROR", 'table must be "name" or "schema.name"', { details: { field: "table" } });
  }
  return parts.map((p) => `"${p.replaceAll('"', '""')}"`).join(".");
}

/** The statement an import streams: the query as written, or every column of the table. */
export function sourceStatement(source: { table?: string; query?: string }): string {
  if (source.table !== undefined) return `SELECT * FROM ${quotedTable(source.table)}`;
  const query = (source.query ?? "").trim().replace(/;\s*$/, "");
  if (query === "") throw new TarnError("VALIDATION_ERROR", "query is empty", { details: { field: "query" } });
  return query;
}
