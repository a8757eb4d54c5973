// Resolves API keys to principals: D1 is the truth, with a short per-isolate cache for the hot path.
import { and, eq, isNull } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { hashApiKey } from "../../shared/api-keys";
import { apiKeys } from "../../shared/db/schema";
import type { Principal } from "../../shared/principal";
import { SCOPES, type Scope } from "../../shared/scopes";

type KeyPrincipal = Extract<Principal, { kind: "key" }>;

interface CacheEntry {
  principal: KeyPrincipal;
  expiresAt: number;
}

const MAX_CACHE_ENTRIES = 10_000;
const LAST_USED_EVERY_MS = 60_000;

const cache = new Map<string, CacheEntry>();
/** Hashes of keys that resolved here recently (only valid ones), so the hot path hashes nothing. */
const knownHashes = new Map<string, string>();
const lastUsedWritten = new Map<string, number>();

function toScopes(raw: unknown): Scope[] {
  return Array.isArray(raw) ? raw.filter((s): s is Scope => (SCOPES as readonly string[]).includes(s)) : [];
}

/**
 * The project principal for a key, or null for an unknown or revoked one.
 * A hit is served from memory for at most `ttlMs`; that bounds how long another isolate
 * may keep honouring a key after it is revoked.
 */
export async function resolveApiKey(
  db: D1Database,
  key: string,
  ttlMs: number,
  waitUntil: (p: Promise<unknown>) => void,
): Promise<KeyPrincipal | null> {
  const cached = cachedKeyPrincipal(key);
  if (cached) return cached;
  const hash = await hashApiKey(key);
  const now = Date.now();

  const row = await drizzle(db)
    .select({ id: apiKeys.id, projectId: apiKeys.projectId, scopes: apiKeys.scopes, tier: apiKeys.tier })
    .from(apiKeys)
    .where(and(eq(apiKeys.keyHash, hash), isNull(apiKeys.revokedAt)))
    .get();
  if (!row) {
    cache.delete(hash);
    return null;
  }
  const principal: KeyPrincipal = {
    kind: "key",
    projectId: row.projectId,
    keyId: row.id,
    scopes: toScopes(row.scopes),
    tier: row.tier,
  };
  if (ttlMs > 0) {
    if (cache.size >= MAX_CACHE_ENTRIES) cache.clear();
    cache.set(hash, { principal, expiresAt: now + ttlMs });
    if (knownHashes.size >= MAX_CACHE_ENTRIES) knownHashes.clear();
    knownHashes.set(key, hash);
  }
  touchLastUsed(db, row.id, now, waitUntil);
  return principal;
}

/**
 * The principal of a key this isolate resolved within the cache's TTL, without hashing or D1; undefined
 * when it must be resolved (unknown here, expired, or revoked here).
 */
export function cachedKeyPrincipal(key: string): KeyPrincipal | undefined {
  const hash = knownHashes.get(key);
  if (hash === undefined) return undefined;
  const hit = cache.get(hash);
  return hit && hit.expiresAt > Date.now() ? hit.principal : undefined;
}

/** Records use at most once a minute per key and isolate, off the response path. */
function touchLastUsed(db: D1Database, keyId: string, now: number, waitUntil: (p: Promise<unknown>) => void) {
  const last = lastUsedWritten.get(keyId) ?? 0;
  if (now - last < LAST_USED_EVERY_MS) return;
  lastUsedWritten.set(keyId, now);
  if (lastUsedWritten.size > MAX_CACHE_ENTRIES) lastUsedWritten.clear();
  waitUntil(
    drizzle(db)
      .update(apiKeys)
      .set({ lastUsedAt: new Date(now).toISOString() })
      .where(eq(apiKeys.id, keyId))
      .run()
      .catch((err) =>
        console.error(JSON.stringify({ level: "warn", msg: "last_used_at update failed", error: String(err) })),
      ),
  );
}

/** Drops a revoked key from this isolate's cache so it stops working here at once. */
export function forgetKey(keyId: string): void {
  for (const [hash, entry] of cache) if (entry.principal.keyId === keyId) cache.delete(hash);
}
