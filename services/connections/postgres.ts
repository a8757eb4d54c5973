// PostgreSQL through the `postgres` driver, which speaks the wire protocol over workerd's TCP sockets
// (cloudflare:sockets, see pg-socket.ts). Every import reads inside a READ ONLY transaction, so a
// query can never change the source. Connections end when the work is done.
import postgres from "postgres";
import type { PostgresTarget } from "../../shared/connections/postgres-url";
import { TarnError } from "../../shared/errors";
import { openPgSocket } from "./pg-socket";

export type PgClient = postgres.Sql;
export type PgReader = postgres.TransactionSql;

export interface SourceColumn {
  name: string;
  /** The column's type OID (pg_type.oid). */
  oid: number;
}

export function pgClient(target: PostgresTarget): PgClient {
  const options: postgres.Options<Record<string, postgres.PostgresType>> & { socket: () => Promise<unknown> } = {
    host: target.host,
    port: target.port,
    database: target.database,
    username: target.user,
    password: target.password,
    // TLS is negotiated by our socket (pg-socket.ts): the driver itself speaks plain on it.
    ssl: false,
    socket: () => openPgSocket(target),
    max: 1,
    connect_timeout: 10,
    // Array types are read from pg_type at connect, so arrays arrive as arrays (stored as JSON text).
    fetch_types: true,
    onnotice: () => undefined,
    connection: { application_name: "tarn-import" },
  };
  return postgres(options);
}

/** Closes the connection (its socket's late errors go nowhere: see pg-socket.ts). */
function close(sql: PgClient): Promise<void> {
  return sql.end({ timeout: 2 }).catch(() => undefined);
}

/** The driver's reason, said plainly: a server error with its SQLSTATE, or the socket's failure. */
export function driverReason(err: unknown): string {
  if (err instanceof postgres.PostgresError) return `${err.message} (SQLSTATE ${err.code})`;
  const e = err as { message?: string; code?: string };
  const message = e?.message ?? String(err);
  return e?.code && !message.includes(e.code) ? `${message} (${e.code})` : message;
}

/** Connects and runs a trivial query; a failure is a 400 with where it failed and the driver's reason. */
export async function tryConnection(target: PostgresTarget): Promise<void> {
  const sql = pgClient(target);
  try {
    await sql`SELECT 1 AS ok`;
  } catch (err) {
    await close(sql);
    throw new TarnError(
      "VALIDATION_ERROR",
      `cannot connect to ${target.host}:${target.port}/${target.database} as ${target.user}: ${driverReason(err)}`,
      { details: { field: "url", reason: driverReason(err) }, cause: err },
    );
  }
  await close(sql);
}

/** Runs `work` in a READ ONLY transaction of a fresh connection; driver failures become `fail(reason)`. */
export async function readOnly<T>(
  target: PostgresTarget,
  work: (tx: PgReader) => Promise<T>,
  fail: (reason: string, err: unknown) => Error,
): Promise<T> {
  const sql = pgClient(target);
  try {
    return (await sql.begin("read only", (tx) => work(tx))) as T;
  } catch (err) {
    if (err instanceof TarnError) throw err;
    throw fail(driverReason(err), err);
  } finally {
    await close(sql);
  }
}

/** The statement's result columns (a Describe: nothing is run). */
export async function describeColumns(tx: PgReader, statement: string): Promise<SourceColumn[]> {
  const described = await tx.unsafe(statement).describe();
  if (described.types.length > 0) {
    throw new TarnError(
      "VALIDATION_ERROR",
      `the statement takes ${described.types.length} parameter(s) ($1…): write the values in it`,
    );
  }
  return described.columns.map((c) => ({ name: c.name, oid: c.type }));
}

/** The planner's estimate of the statement's rows (for progress), or null. */
export async function estimateRows(tx: PgReader, statement: string): Promise<number | null> {
  try {
    // In a savepoint: a failed EXPLAIN must not abort the transaction the rows are read in.
    const [row] = await tx.savepoint((sp) => sp.unsafe(`EXPLAIN (FORMAT JSON) ${statement}`));
    const plan = (row?.["QUERY PLAN"] as { Plan?: { "Plan Rows"?: number } }[] | undefined)?.[0]?.Plan;
    const rows = plan?.["Plan Rows"];
    return typeof rows === "number" && rows > 0 ? rows : null;
  } catch {
    return null;
  }
}

/** The statement's rows as arrays (column order of describeColumns), `batch` at a time through a cursor. */
export function rowBatches(tx: PgReader, statement: string, batch: number): AsyncIterable<unknown[][]> {
  return tx.unsafe(statement).values().cursor(batch) as AsyncIterable<unknown[][]>;
}
