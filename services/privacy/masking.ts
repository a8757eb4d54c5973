// One principal's view of a project's data: the privacy policy, the engine guard that applies it inside
// the query coordinator, and `maskFor` for features that produce data outside SQL.
import { and, eq } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { holds } from "../../shared/access/permissions";
import { getOrInsert } from "../../shared/collections";
import { type ContractField, contractFields } from "../../shared/contracts/fields";
import { privacyColumns } from "../../shared/db/privacy";
import type { ProjectPrincipal } from "../../shared/principal";
import { keyIdOf, masterKeyBytes, openValue } from "../../shared/privacy/field-cipher";
import { maskingKey } from "../../shared/privacy/masks";
import { buildPolicy, type ColumnClassification, type PrivacyPolicy } from "../../shared/privacy/policy";
import { type Decrypt, privacyGuard } from "../../shared/privacy/value-guard";
import type { ValueGuard } from "../../shared/query/catalog";
import { valueAt } from "../../shared/query/vector";
import { currentSchemasRead } from "../contracts/store";
import { type BatchedRead, combinedRead, readAlone, statementRead } from "../d1/batched-read";
import { keysById } from "./key-vault";
import { lastKeyDestructionRead } from "./requests";

type PrivacyEnv = Pick<Env, "DB" | "MASTER_KEY">;

/** Whether a principal sees clear values. No principal (an internal caller that did not say): masked. */
export function canUnmask(principal: ProjectPrincipal | undefined): boolean {
  return principal !== undefined && holds(principal, "unmask");
}

/** Stored envelope classifications: dataset → column → classification. */
export async function classificationsOf(
  db: D1Database,
  projectId: string,
): Promise<Map<string, Map<string, ColumnClassification>>> {
  return readAlone(db, classificationsRead(db, projectId));
}

function classificationsRead(
  db: D1Database,
  projectId: string,
): BatchedRead<Map<string, Map<string, ColumnClassification>>> {
  const stored = drizzle(db).select().from(privacyColumns).where(eq(privacyColumns.projectId, projectId));
  return statementRead(stored, (rows) => {
    const out = new Map<string, Map<string, ColumnClassification>>();
    for (const r of rows) {
      const d = getOrInsert(out, r.dataset, () => new Map<string, ColumnClassification>());
      d.set(r.column, { classification: r.classification, pii: r.pii, mask: r.mask });
    }
    return out;
  });
}

/** Each event type's current contract fields (their annotations decide masks and encryption). */
function contractFieldsOf(schemas: readonly { eventType: string; schema: string }[]): Map<string, ContractField[]> {
  const out = new Map<string, ContractField[]>();
  for (const { eventType, schema } of schemas) out.set(eventType, contractFields(JSON.parse(schema)));
  return out;
}

export async function privacyPolicy(db: D1Database, projectId: string, unmask: boolean): Promise<PrivacyPolicy> {
  return (await readAlone(db, privacyPolicyRead(db, projectId)))(unmask);
}

/**
 * The project's privacy policy for either kind of principal, as one read to batch with others (a
 * query's coordinator reads it beside the snapshot): the classifications, the contracts' field
 * annotations and the last key destruction.
 */
export function privacyPolicyRead(db: D1Database, projectId: string): BatchedRead<(unmask: boolean) => PrivacyPolicy> {
  return combinedRead(
    [classificationsRead(db, projectId), currentSchemasRead(db, projectId), lastKeyDestructionRead(db, projectId)],
    (classifications, schemas, shredded) => {
      const contracts = contractFieldsOf(schemas);
      return (unmask) => {
        const policy = buildPolicy(unmask, classifications, contracts);
        // An answer cached before an erasure destroyed keys still holds what they opened: a new view.
        return { ...policy, fingerprint: `${policy.fingerprint}|shredded:${shredded ?? ""}` };
      };
    },
  );
}

/** Opens sealed values with data keys fetched once per query (a destroyed key opens to NULL). */
export function queryDecrypt(env: PrivacyEnv, projectId: string): Decrypt {
  const keys = new Map<string, Promise<CryptoKey | null>>();
  return async (sealed) => {
    const missing = [...new Set(sealed.map(keyIdOf))].filter((id) => !keys.has(id));
    if (missing.length > 0) {
      const loading = keysById(env, projectId, missing);
      for (const id of missing)
        keys.set(
          id,
          loading.then((m) => m.get(id) ?? null),
        );
    }
    const out = new Map<string, unknown>();
    await Promise.all(
      [...new Set(sealed)].map(async (s) => {
        const key = await keys.get(keyIdOf(s));
        out.set(s, key ? await openValue(key, s).catch(() => null) : null);
      }),
    );
    return out;
  };
}

/** Per project, its masking key as derived from the current MASTER_KEY (an HMAC each query and split otherwise). */
const maskingKeys = new Map<string, { master: string | undefined; key: Uint8Array }>();

function projectMaskingKey(master: string | undefined, projectId: string): Uint8Array {
  const hit = maskingKeys.get(projectId);
  if (hit && hit.master === master) return hit.key;
  const key = maskingKey(masterKeyBytes(master), projectId);
  if (maskingKeys.size >= 10_000) maskingKeys.clear();
  maskingKeys.set(projectId, { master, key });
  return key;
}

/** The guard a query runs under, and the fingerprint of what it masks (for the answer cache). */
export async function queryPrivacy(
  env: PrivacyEnv,
  projectId: string,
  unmask: boolean,
): Promise<{ policy: PrivacyPolicy; guard: ValueGuard }> {
  return privacyUnder(env, projectId, await privacyPolicy(env.DB, projectId, unmask));
}

/** The guard for a policy already read (a split runs under its coordinator's, read once per query). */
export function privacyUnder(
  env: PrivacyEnv,
  projectId: string,
  policy: PrivacyPolicy,
): { policy: PrivacyPolicy; guard: ValueGuard } {
  const guard = privacyGuard(policy, projectMaskingKey(env.MASTER_KEY, projectId), queryDecrypt(env, projectId));
  return { policy, guard };
}

/** A row of named values as a principal may see it. */
export type RowMasker = (dataset: string, row: Record<string, unknown>) => Promise<Record<string, unknown>>;

/**
 * For data a feature produces outside SQL (live frames, samples, exports of stored rows): masks and
 * decrypts a row of one dataset's columns exactly as a query would for this principal.
 *
 * @example const mask = await maskFor(env, principal, projectId); const shown = await mask("signup", row);
 */
export async function maskFor(
  env: PrivacyEnv,
  principal: ProjectPrincipal | undefined,
  projectId: string,
): Promise<RowMasker> {
  const { guard } = await queryPrivacy(env, projectId, canUnmask(principal));
  return async (dataset, row) => {
    const out: Record<string, unknown> = { ...row };
    for (const [column, value] of Object.entries(row)) {
      if (!guard.guards(dataset, column)) continue;
      const vec = await guard.rewrite(dataset, column, { kind: "obj", n: 1, values: [value ?? null] });
      out[column] = valueAt(vec, 0);
    }
    return out;
  };
}

/**
 * Replaces the classifications of the named envelope columns of a dataset (`events`: every dataset).
 * A column with neither classification, pii nor mask is cleared. Returns the dataset's columns now.
 */
export async function classifyColumns(
  db: D1Database,
  projectId: string,
  dataset: string,
  columns: Record<string, ColumnClassification>,
): Promise<Record<string, ColumnClassification>> {
  const d = drizzle(db);
  const updatedAt = new Date().toISOString();
  const statements = Object.entries(columns).map(([column, c]) =>
    c.classification === null && !c.pii && c.mask === null
      ? d
          .delete(privacyColumns)
          .where(
            and(
              eq(privacyColumns.projectId, projectId),
              eq(privacyColumns.dataset, dataset),
              eq(privacyColumns.column, column),
            ),
          )
      : d
          .insert(privacyColumns)
          .values({ projectId, dataset, column, ...c, updatedAt })
          .onConflictDoUpdate({
            target: [privacyColumns.projectId, privacyColumns.dataset, privacyColumns.column],
            set: { ...c, updatedAt },
          }),
  );
  const [first, ...rest] = statements;
  if (first) await d.batch([first, ...rest]);
  return Object.fromEntries((await classificationsOf(db, projectId)).get(dataset) ?? []);
}
