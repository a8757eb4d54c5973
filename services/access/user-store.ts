// Users in D1: create, list, change, delete, and the per-request check that a token's user still stands.
import { and, asc, eq, or, sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import type { Role, Tier } from "../../shared/access/permissions";
import type { TokenClaims } from "../../shared/access/tokens";
import { users } from "../../shared/db/access";
import { projects } from "../../shared/db/schema";
import { TarnError } from "../../shared/errors";
import type { ProjectPrincipal } from "../../shared/principal";

export interface UserRow {
  id: string;
  projectId: string;
  email: string;
  passwordHash: string;
  role: Role;
  tier: Tier;
  disabled: boolean;
  tokenVersion: number;
  /** What row-level policies read (`current_user_attribute`). */
  attributes: Record<string, string | number | boolean | null>;
  createdAt: string;
  updatedAt: string;
}

/** What a client sees of a user. */
export function publicUser(u: UserRow) {
  return {
    id: u.id,
    email: u.email,
    role: u.role,
    tier: u.tier,
    disabled: u.disabled,
    attributes: u.attributes ?? {},
    created_at: u.createdAt,
  };
}

export async function insertUser(
  db: D1Database,
  row: Omit<UserRow, "updatedAt" | "disabled" | "tokenVersion" | "attributes">,
) {
  try {
    await drizzle(db)
      .insert(users)
      .values({ ...row, updatedAt: row.createdAt });
  } catch (err) {
    // drizzle wraps D1's error; the constraint name is in its cause.
    if (`${err} ${(err as { cause?: unknown }).cause}`.includes("UNIQUE"))
      throw new TarnError("CONFLICT", `a user with email ${row.email} already exists in this project`, {
        details: { field: "email" },
      });
    throw err;
  }
}

export async function listUsers(db: D1Database, projectId: string): Promise<UserRow[]> {
  return (await drizzle(db)
    .select()
    .from(users)
    .where(eq(users.projectId, projectId))
    .orderBy(asc(users.createdAt), asc(users.id))
    .all()) as UserRow[];
}

export async function userById(db: D1Database, projectId: string, id: string): Promise<UserRow | null> {
  const row = await drizzle(db)
    .select()
    .from(users)
    .where(and(eq(users.id, id), eq(users.projectId, projectId)))
    .get();
  return (row as UserRow | undefined) ?? null;
}

/** The project (by id or name) and the user with `email` in it, for login. */
export async function userForLogin(
  db: D1Database,
  project: string,
  email: string,
): Promise<{ project: { id: string; name: string } | null; user: UserRow | null }> {
  const d = drizzle(db);
  const p = await d
    .select({ id: projects.id, name: projects.name })
    .from(projects)
    .where(or(eq(projects.id, project), eq(projects.name, project)))
    .get();
  if (!p) return { project: null, user: null };
  const u = await d
    .select()
    .from(users)
    .where(and(eq(users.projectId, p.id), eq(users.email, email)))
    .get();
  return { project: p, user: (u as UserRow | undefined) ?? null };
}

export interface UserChange {
  role?: Role;
  tier?: Tier;
  disabled?: boolean;
  passwordHash?: string;
  /** Replaces the user's attributes (row-level policies read them within a second). */
  attributes?: Record<string, string | number | boolean | null>;
  /** Invalidate every token issued so far. */
  revokeTokens?: boolean;
}

/**
 * Applies a change; a new role, disabling, a new password or an explicit revoke bumps the token version, so
 * older tokens stop working (within the user cache's TTL, one second by default).
 */
export async function updateUser(
  db: D1Database,
  projectId: string,
  id: string,
  change: UserChange,
): Promise<UserRow | null> {
  const before = await userById(db, projectId, id);
  if (!before) return null;
  const bump =
    change.revokeTokens ||
    change.passwordHash !== undefined ||
    (change.role !== undefined && change.role !== before.role) ||
    (change.disabled === true && !before.disabled);
  const row = await drizzle(db)
    .update(users)
    .set({
      ...(change.role !== undefined ? { role: change.role } : {}),
      ...(change.tier !== undefined ? { tier: change.tier } : {}),
      ...(change.disabled !== undefined ? { disabled: change.disabled } : {}),
      ...(change.passwordHash !== undefined ? { passwordHash: change.passwordHash } : {}),
      ...(change.attributes !== undefined ? { attributes: change.attributes } : {}),
      ...(bump ? { tokenVersion: sql`${users.tokenVersion} + 1` } : {}),
      updatedAt: new Date().toISOString(),
    })
    .where(and(eq(users.id, id), eq(users.projectId, projectId)))
    .returning()
    .get();
  forgetUser(id);
  return (row as UserRow | undefined) ?? null;
}

export async function deleteUser(db: D1Database, projectId: string, id: string): Promise<boolean> {
  const row = await drizzle(db)
    .delete(users)
    .where(and(eq(users.id, id), eq(users.projectId, projectId)))
    .returning({ id: users.id })
    .get();
  forgetUser(id);
  return row !== undefined;
}

// --- the token check on every request ---------------------------------------------------------------

const cache = new Map<string, { row: UserRow | null; expiresAt: number }>();
const MAX_CACHE_ENTRIES = 10_000;

function forgetUser(id: string): void {
  cache.delete(id);
}

/**
 * The principal a verified token stands for, or null when its user was deleted, disabled, changed role or
 * had its tokens revoked since the token was issued. Rows are cached per isolate for at most `ttlMs`
 * (KEY_CACHE_TTL_MS, 1 s by default): that bounds how long another isolate honours an invalidated token.
 */
export async function principalForToken(
  db: D1Database,
  claims: TokenClaims,
  ttlMs: number,
): Promise<ProjectPrincipal | null> {
  const now = Date.now();
  let hit = cache.get(claims.sub);
  if (!hit || hit.expiresAt <= now) {
    const row = await drizzle(db).select().from(users).where(eq(users.id, claims.sub)).get();
    hit = { row: (row as UserRow | undefined) ?? null, expiresAt: now + ttlMs };
    if (ttlMs > 0) {
      if (cache.size >= MAX_CACHE_ENTRIES) cache.clear();
      cache.set(claims.sub, hit);
    }
  }
  const u = hit.row;
  if (!u || u.projectId !== claims.pid || u.disabled || u.tokenVersion !== claims.ver || u.role !== claims.role)
    return null;
  return {
    kind: "user",
    projectId: u.projectId,
    userId: u.id,
    email: u.email,
    role: u.role,
    tier: u.tier,
    attributes: u.attributes,
  };
}
