// The key vault: per-(project, subject) data keys in D1, wrapped by the KEK. D1 rather than sharded DOs:
// a key is read once per subject per consumer batch and once per query (cached), erasure must delete
// every key of a subject in one atomic statement, and D1 reads go to the primary (no stale key after erasure).
import { and, eq, inArray } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { chunked } from "../../shared/collections";
import { privacyKeys } from "../../shared/db/privacy";
import {
  keyEncryptionKey,
  masterKeyBytes,
  newDataKey,
  type SealingKey,
  sealingKey,
  unwrapDataKey,
  unwrapDataKeyBytes,
  wrapDataKey,
} from "../../shared/privacy/field-cipher";

/** The subject name of a project's own key (events without a userId). */
export const PROJECT_SUBJECT = "";

/** D1 binds at most 100 parameters a statement. */
const IN_CHUNK = 90;

const keks = new Map<string, Promise<CryptoKey>>();

/** The KEK for this isolate's MASTER_KEY (derived once). */
export function kekOf(env: Pick<Env, "MASTER_KEY">): Promise<CryptoKey> {
  const secret = env.MASTER_KEY ?? "";
  const known = keks.get(secret);
  if (known) return known;
  const kek = keyEncryptionKey(masterKeyBytes(secret));
  keks.set(secret, kek);
  return kek;
}

/** The data key of each subject, created on first use (a key destroyed by erasure is replaced by a new one). */
export async function subjectKeys(
  env: Pick<Env, "DB" | "MASTER_KEY">,
  projectId: string,
  subjects: Iterable<string>,
): Promise<Map<string, { keyId: string; key: SealingKey }>> {
  const kek = await kekOf(env);
  const db = drizzle(env.DB);
  const wanted = [...new Set(subjects)];
  const found = new Map<string, { keyId: string; wrapped: string }>();
  const read = async (list: string[]) => {
    for (const part of chunked(list, IN_CHUNK)) {
      const rows = await db
        .select()
        .from(privacyKeys)
        .where(and(eq(privacyKeys.projectId, projectId), inArray(privacyKeys.subject, part)))
        .all();
      for (const r of rows) found.set(r.subject, { keyId: r.keyId, wrapped: r.wrapped });
    }
  };
  await read(wanted);
  const missing = wanted.filter((s) => !found.has(s));
  if (missing.length > 0) {
    // Two consumers may create one subject's key at once: the unique index keeps the first, both read it back.
    const fresh = await Promise.all(
      missing.map(async (subject) => {
        const keyId = crypto.randomUUID().replaceAll("-", "");
        const { raw } = await newDataKey();
        return { projectId, keyId, subject, wrapped: await wrapDataKey(kek, raw, projectId, keyId) };
      }),
    );
    for (const part of chunked(fresh, 15)) await db.insert(privacyKeys).values(part).onConflictDoNothing().run();
    await read(missing);
  }
  const out = new Map<string, { keyId: string; key: SealingKey }>();
  await Promise.all(
    [...found].map(async ([subject, k]) => {
      const raw = await unwrapDataKeyBytes(kek, k.wrapped, projectId, k.keyId);
      out.set(subject, { keyId: k.keyId, key: await sealingKey(raw) });
    }),
  );
  return out;
}

/** The data keys by id; a destroyed key is absent (what it sealed reads NULL). */
export async function keysById(
  env: Pick<Env, "DB" | "MASTER_KEY">,
  projectId: string,
  keyIds: string[],
): Promise<Map<string, CryptoKey>> {
  const kek = await kekOf(env);
  const out = new Map<string, CryptoKey>();
  for (const part of chunked([...new Set(keyIds)], IN_CHUNK)) {
    const rows = await drizzle(env.DB)
      .select()
      .from(privacyKeys)
      .where(and(eq(privacyKeys.projectId, projectId), inArray(privacyKeys.keyId, part)))
      .all();
    for (const r of rows) out.set(r.keyId, await unwrapDataKey(kek, r.wrapped, projectId, r.keyId));
  }
  return out;
}

/** Destroys every data key of a subject (crypto-shredding); returns how many were destroyed. */
export async function destroySubjectKeys(db: D1Database, projectId: string, subject: string): Promise<number> {
  const result = await drizzle(db)
    .delete(privacyKeys)
    .where(and(eq(privacyKeys.projectId, projectId), eq(privacyKeys.subject, subject)))
    .run();
  return result.meta.changes ?? 0;
}
