// Contracts in D1: each PUT a new version with its compatibility, the head saying how it applies.
import { and, asc, desc, eq, sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { compareSchemas } from "../../shared/contracts/compatibility";
import { contracts, contractVersions } from "../../shared/db/contracts";
import { TarnError } from "../../shared/errors";
import { type BatchedRead, readAlone, statementRead } from "../d1/batched-read";

export type ContractMode = "enforce" | "warn" | "canary";

export interface PutContract {
  schema: Record<string, unknown>;
  mode: ContractMode;
  description?: string;
  owner?: string;
  force: boolean;
}

export type ContractHead = typeof contracts.$inferSelect;
export type ContractVersionRow = typeof contractVersions.$inferSelect;

export async function getHead(db: D1Database, projectId: string, eventType: string): Promise<ContractHead | undefined> {
  return drizzle(db)
    .select()
    .from(contracts)
    .where(and(eq(contracts.projectId, projectId), eq(contracts.eventType, eventType)))
    .get();
}

export async function listHeads(db: D1Database, projectId: string): Promise<ContractHead[]> {
  return drizzle(db)
    .select()
    .from(contracts)
    .where(eq(contracts.projectId, projectId))
    .orderBy(asc(contracts.eventType))
    .all();
}

export async function listVersions(
  db: D1Database,
  projectId: string,
  eventType: string,
): Promise<ContractVersionRow[]> {
  return drizzle(db)
    .select()
    .from(contractVersions)
    .where(and(eq(contractVersions.projectId, projectId), eq(contractVersions.eventType, eventType)))
    .orderBy(desc(contractVersions.version))
    .all();
}

export async function getVersion(
  db: D1Database,
  projectId: string,
  eventType: string,
  version: number,
): Promise<ContractVersionRow | undefined> {
  return drizzle(db)
    .select()
    .from(contractVersions)
    .where(
      and(
        eq(contractVersions.projectId, projectId),
        eq(contractVersions.eventType, eventType),
        eq(contractVersions.version, version),
      ),
    )
    .get();
}

/**
 * Stores a new version. Compatibility is against the current version; a breaking change without
 * `force` is a CONFLICT naming the reasons. A canary keeps the version enforced so far (the previous
 * head's enforced one) until it is promoted. Two concurrent PUTs cannot take the same number: the
 * version row's primary key fails one of them, which is told to retry.
 */
export async function putContract(
  db: D1Database,
  projectId: string,
  eventType: string,
  put: PutContract,
): Promise<{ version: ContractVersionRow; head: ContractHead }> {
  const head = await getHead(db, projectId, eventType);
  const previous = head ? await getVersion(db, projectId, eventType, head.currentVersion) : undefined;
  const { compatibility, reasons } = previous
    ? compareSchemas(JSON.parse(previous.schema), put.schema)
    : { compatibility: "backward" as const, reasons: [] };
  if (compatibility === "breaking" && !put.force) {
    throw new TarnError(
      "CONFLICT",
      `this change would break producers or readers of ${eventType}: ${reasons.slice(0, 5).join("; ")}; send ?force=true to store it anyway`,
      { details: { compatibility, reasons, current_version: head?.currentVersion } },
    );
  }
  const version = (head?.currentVersion ?? 0) + 1;
  // The version a canary keeps enforcing: whatever was enforced before it (none for a first version).
  const previousEnforced = head ? (head.mode === "canary" ? head.enforcedVersion : head.currentVersion) : null;
  const enforcedVersion = put.mode === "canary" ? previousEnforced : version;
  const d = drizzle(db);
  const description = put.description ?? head?.description ?? null;
  const owner = put.owner ?? head?.owner ?? null;
  try {
    await d.batch([
      d.insert(contractVersions).values({
        projectId,
        eventType,
        version,
        schema: JSON.stringify(put.schema),
        mode: put.mode,
        compatibility,
        reasons,
        forced: put.force && compatibility === "breaking" ? 1 : 0,
        description,
        owner,
      }),
      d
        .insert(contracts)
        .values({ projectId, eventType, currentVersion: version, mode: put.mode, enforcedVersion, description, owner })
        .onConflictDoUpdate({
          target: [contracts.projectId, contracts.eventType],
          set: {
            currentVersion: version,
            mode: put.mode,
            enforcedVersion,
            description,
            owner,
            updatedAt: sql`(strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))`,
          },
        }),
    ]);
  } catch (err) {
    if (String(err).includes("UNIQUE") || String(err).includes("PRIMARY"))
      throw new TarnError("CONFLICT", "another change of this contract landed at the same moment; retry", {
        details: { current_version: version },
      });
    throw err;
  }
  const stored = await getVersion(db, projectId, eventType, version);
  const newHead = await getHead(db, projectId, eventType);
  if (!stored || !newHead) throw new Error("contract write not visible");
  return { version: stored, head: newHead };
}

/** Canary → enforce: the current version becomes the enforced one. */
export async function promoteContract(db: D1Database, projectId: string, eventType: string): Promise<ContractHead> {
  const head = await getHead(db, projectId, eventType);
  if (!head) throw new TarnError("NOT_FOUND", `no contract for ${eventType}`);
  if (head.mode !== "canary")
    throw new TarnError(
      "CONFLICT",
      `the contract of ${eventType} is in ${head.mode} mode; only a canary can be promoted`,
      {
        details: { mode: head.mode },
      },
    );
  const d = drizzle(db);
  await d.batch([
    d
      .update(contracts)
      .set({
        mode: "enforce",
        enforcedVersion: head.currentVersion,
        updatedAt: sql`(strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))`,
      })
      .where(and(eq(contracts.projectId, projectId), eq(contracts.eventType, eventType))),
    d
      .update(contractVersions)
      .set({ mode: "enforce" })
      .where(
        and(
          eq(contractVersions.projectId, projectId),
          eq(contractVersions.eventType, eventType),
          eq(contractVersions.version, head.currentVersion),
        ),
      ),
  ]);
  return (await getHead(db, projectId, eventType)) as ContractHead;
}

/** Adds the edge's counters of one request to a version (best effort; counts are monitoring). */
export function countStatement(
  db: D1Database,
  projectId: string,
  eventType: string,
  version: number,
  counts: { checked: number; rejected: number; warned: number; wouldReject: number; samples: unknown[] },
) {
  const d = drizzle(db);
  const samples = JSON.stringify(counts.samples);
  return d
    .update(contractVersions)
    .set({
      checked: sql`${contractVersions.checked} + ${counts.checked}`,
      rejected: sql`${contractVersions.rejected} + ${counts.rejected}`,
      warned: sql`${contractVersions.warned} + ${counts.warned}`,
      wouldReject: sql`${contractVersions.wouldReject} + ${counts.wouldReject}`,
      // Keep the first ten samples.
      samples: sql`CASE WHEN json_array_length(${contractVersions.samples}) >= 10 THEN ${contractVersions.samples}
        ELSE (SELECT json_group_array(json(value)) FROM (SELECT value FROM json_each(${contractVersions.samples})
              UNION ALL SELECT value FROM json_each(${samples}) LIMIT 10)) END`,
    })
    .where(
      and(
        eq(contractVersions.projectId, projectId),
        eq(contractVersions.eventType, eventType),
        eq(contractVersions.version, version),
      ),
    );
}

/** The schema of every event type's current version, in one read. */
export async function currentSchemas(
  db: D1Database,
  projectId: string,
): Promise<{ eventType: string; schema: string }[]> {
  return readAlone(db, currentSchemasRead(db, projectId));
}

/** currentSchemas as a read to batch with others (the privacy policy of each query reads it). */
export function currentSchemasRead(
  db: D1Database,
  projectId: string,
): BatchedRead<{ eventType: string; schema: string }[]> {
  const current = drizzle(db)
    .select({ eventType: contracts.eventType, schema: contractVersions.schema })
    .from(contracts)
    .innerJoin(
      contractVersions,
      and(
        eq(contractVersions.projectId, contracts.projectId),
        eq(contractVersions.eventType, contracts.eventType),
        eq(contractVersions.version, contracts.currentVersion),
      ),
    )
    .where(eq(contracts.projectId, projectId));
  return statementRead(current, (rows) => rows);
}
