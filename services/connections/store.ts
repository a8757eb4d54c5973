// The connections' D1 rows: what is shown (host, port, database, user) and the sealed URL, opened
// only when an import connects.
import { and, asc, eq } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import type { PostgresTarget } from "../../shared/connections/postgres-url";
import { openSecret, sealSecret } from "../../shared/connections/secret";
import { connections } from "../../shared/db/connections";
import { TarnError } from "../../shared/errors";
import { kekOf } from "../privacy/key-vault";
import { resolveTarget } from "./target";

export type ConnectionRow = typeof connections.$inferSelect;

function nameTaken(name: string): TarnError {
  return new TarnError("CONFLICT", `a connection named "${name}" exists`, { details: { field: "name" } });
}

/** A connection as the API shows it: never the password nor the sealed URL. */
export function connectionView(r: ConnectionRow) {
  return {
    id: r.id,
    name: r.name,
    kind: r.kind,
    host: r.host,
    port: r.port,
    database: r.database,
    user: r.username,
    created_at: r.createdAt,
  };
}

export async function insertConnection(
  env: Pick<Env, "DB" | "MASTER_KEY">,
  row: {
    id: string;
    projectId: string;
    name: string;
    url: string;
    target: PostgresTarget;
    shownHost: string;
    createdBy: string;
  },
): Promise<ConnectionRow> {
  const taken = await drizzle(env.DB)
    .select({ id: connections.id })
    .from(connections)
    .where(and(eq(connections.projectId, row.projectId), eq(connections.name, row.name)))
    .get();
  if (taken) throw nameTaken(row.name);
  const sealed = await sealSecret(await kekOf(env), row.projectId, row.id, row.url);
  try {
    return await drizzle(env.DB)
      .insert(connections)
      .values({
        id: row.id,
        projectId: row.projectId,
        name: row.name,
        kind: "postgres",
        host: row.shownHost,
        port: row.target.port,
        database: row.target.database,
        username: row.target.user,
        wrappedKey: sealed.wrappedKey,
        secret: sealed.secret,
        createdBy: row.createdBy,
      })
      .returning()
      .get();
  } catch (err) {
    // Two creations of one name at once: the unique index keeps the first.
    if (String((err as Error)?.cause ?? err).includes("UNIQUE")) throw nameTaken(row.name);
    throw err;
  }
}

export async function listConnections(db: D1Database, projectId: string): Promise<ConnectionRow[]> {
  return drizzle(db)
    .select()
    .from(connections)
    .where(eq(connections.projectId, projectId))
    .orderBy(asc(connections.name))
    .all();
}

export async function getConnection(db: D1Database, projectId: string, id: string): Promise<ConnectionRow> {
  const row = await drizzle(db)
    .select()
    .from(connections)
    .where(and(eq(connections.projectId, projectId), eq(connections.id, id)))
    .get();
  if (!row) throw new TarnError("NOT_FOUND", "no such connection in this project");
  return row;
}

export async function deleteConnection(db: D1Database, projectId: string, id: string): Promise<boolean> {
  const r = await drizzle(db)
    .delete(connections)
    .where(and(eq(connections.projectId, projectId), eq(connections.id, id)))
    .run();
  return (r.meta.changes ?? 0) > 0;
}

/** Where the connection points, password included (opened from the sealed URL). */
export async function connectionTarget(env: Env, row: ConnectionRow): Promise<PostgresTarget> {
  let url: string;
  try {
    url = await openSecret(await kekOf(env), row.projectId, row.id, row);
  } catch (err) {
    throw new TarnError(
      "VALIDATION_ERROR",
      "the connection's credentials cannot be opened (was MASTER_KEY changed?): create the connection again",
      { cause: err },
    );
  }
  return resolveTarget(env, url).target;
}
