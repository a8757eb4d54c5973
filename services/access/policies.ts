// Row-level policies in D1, read through a per-isolate cache bounded like keys' (KEY_CACHE_TTL_MS):
// a changed policy binds every isolate within that bound.
import { and, asc, eq } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { appliesTo, type RowPolicy } from "../../shared/access/row-policy";
import { readConfig } from "../../shared/config";
import { rowPolicies } from "../../shared/db/policies";
import { TarnError } from "../../shared/errors";
import type { ProjectPrincipal } from "../../shared/principal";

export type StoredPolicy = RowPolicy & { createdAt: string; updatedAt: string };

const cache = new Map<string, { policies: StoredPolicy[]; expiresAt: number }>();
const MAX_CACHED_PROJECTS = 10_000;

export async function listPolicies(db: D1Database, projectId: string): Promise<StoredPolicy[]> {
  const rows = await drizzle(db)
    .select()
    .from(rowPolicies)
    .where(eq(rowPolicies.projectId, projectId))
    .orderBy(asc(rowPolicies.name))
    .all();
  return rows.map(({ projectId: _, ...p }) => p);
}

/** The project's policies, from this isolate's cache when younger than `ttlMs`. */
export async function cachedPolicies(db: D1Database, projectId: string, ttlMs: number): Promise<StoredPolicy[]> {
  const now = Date.now();
  const hit = cache.get(projectId);
  if (hit && hit.expiresAt > now) return hit.policies;
  const policies = await listPolicies(db, projectId);
  if (cache.size >= MAX_CACHED_PROJECTS) cache.clear();
  cache.set(projectId, { policies, expiresAt: now + ttlMs });
  return policies;
}

/** Creates or replaces a policy; returns it and whether it is new. */
export async function putPolicy(
  db: D1Database,
  projectId: string,
  policy: RowPolicy,
): Promise<{ policy: StoredPolicy; created: boolean }> {
  const existed = await drizzle(db)
    .select({ name: rowPolicies.name })
    .from(rowPolicies)
    .where(and(eq(rowPolicies.projectId, projectId), eq(rowPolicies.name, policy.name)))
    .get();
  const values = {
    dataset: policy.dataset,
    roles: [...policy.roles],
    users: [...policy.users],
    keys: [...policy.keys],
    filter: policy.filter,
  };
  const row = await drizzle(db)
    .insert(rowPolicies)
    .values({ projectId, name: policy.name, ...values })
    .onConflictDoUpdate({
      target: [rowPolicies.projectId, rowPolicies.name],
      set: { ...values, updatedAt: new Date().toISOString() },
    })
    .returning()
    .get();
  cache.delete(projectId);
  const { projectId: _, ...stored } = row;
  return { policy: stored, created: existed === undefined };
}

export async function deletePolicy(db: D1Database, projectId: string, name: string): Promise<boolean> {
  const row = await drizzle(db)
    .delete(rowPolicies)
    .where(and(eq(rowPolicies.projectId, projectId), eq(rowPolicies.name, name)))
    .returning({ name: rowPolicies.name })
    .get();
  cache.delete(projectId);
  return row !== undefined;
}

/**
 * Live windows are computed from every event of a metric, so a principal bound by a row-level
 * policy cannot be given them: sockets and window reads are refused (closed, never a leak); SQL
 * answers the same questions filtered.
 */
export async function refuseLiveWhenFiltered(env: Env, principal: ProjectPrincipal): Promise<void> {
  const policies = await cachedPolicies(env.DB, principal.projectId, readConfig(env).keyCacheTtlMs);
  if (policies.some((p) => appliesTo(p, principal)))
    throw new TarnError(
      "FORBIDDEN",
      "row-level policies apply to you, and live metrics are computed from every event: query with SQL instead",
      { details: { reason: "row_policies" } },
    );
}
