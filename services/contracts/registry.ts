// The contracts in force, per isolate: heads refreshed at most `ttlMs` after a change anywhere,
// compiled validators kept by (project, event type, version), which never change once stored.
import type { Schema } from "@cfworker/json-schema";
import { and, eq, inArray } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { encryptedFieldsOf, type TypedColumn, typedColumnsOf } from "../../shared/contracts/typed-columns";
import { CompiledContract } from "../../shared/contracts/verdict";
import { contracts, contractVersions } from "../../shared/db/contracts";
import { TarnError } from "../../shared/errors";

/** A compiled version and the typed columns its schema declares. */
export interface LoadedVersion {
  compiled: CompiledContract;
  columns: TypedColumn[];
  /** Payload properties marked `x-encrypt`: sealed in the lake writer before Parquet. */
  encrypted: string[];
  /** The mode the version was stored (or promoted) with: a canary's enforced `warn` version still only warns. */
  mode: string;
}

/** How one event type's contract applies at the edge now. */
export interface ActiveContract {
  mode: "enforce" | "warn" | "canary";
  /** The version events are held to (rejected in enforce/canary, counted in warn); null: none yet. */
  enforced: LoadedVersion | null;
  /** Canary only: the new version, checked and counted but not enforced. */
  observed: LoadedVersion | null;
}

interface Heads {
  fetchedAt: number;
  byType: Map<string, { mode: ActiveContract["mode"]; current: number; enforced: number | null }>;
}

const MAX_PROJECTS = 1_000;
const MAX_VERSIONS = 5_000;
const heads = new Map<string, Heads>();
const versions = new Map<string, LoadedVersion>();

const versionKey = (project: string, type: string, version: number) => `${project}\u0000${type}\u0000${version}`;

/** Drops this isolate's view of a project's contracts (after a change made here). */
export function forgetContracts(project: string): void {
  heads.delete(project);
}

async function loadHeads(db: D1Database, project: string, ttlMs: number): Promise<Heads> {
  const now = Date.now();
  const hit = heads.get(project);
  if (hit && now - hit.fetchedAt < ttlMs) return hit;
  let rows: { eventType: string; mode: ActiveContract["mode"]; current: number; enforced: number | null }[];
  try {
    rows = await drizzle(db)
      .select({
        eventType: contracts.eventType,
        mode: contracts.mode,
        current: contracts.currentVersion,
        enforced: contracts.enforcedVersion,
      })
      .from(contracts)
      .where(eq(contracts.projectId, project))
      .all();
  } catch (err) {
    // D1 unreachable: keep applying what this isolate last knew; with nothing known, accept nothing.
    if (hit) return hit;
    throw new TarnError(
      "UNAVAILABLE",
      "the project's contracts cannot be read right now; nothing was accepted, retry",
      {
        retryAfter: 5,
        cause: err,
      },
    );
  }
  const fresh: Heads = { fetchedAt: now, byType: new Map(rows.map((r) => [r.eventType, r])) };
  if (heads.size >= MAX_PROJECTS) heads.delete(heads.keys().next().value as string);
  heads.set(project, fresh);
  return fresh;
}

async function loadVersions(db: D1Database, project: string, type: string, wanted: number[]): Promise<void> {
  const missing = wanted.filter((v) => !versions.has(versionKey(project, type, v)));
  if (missing.length === 0) return;
  const rows = await drizzle(db)
    .select({ version: contractVersions.version, schema: contractVersions.schema, mode: contractVersions.mode })
    .from(contractVersions)
    .where(
      and(
        eq(contractVersions.projectId, project),
        eq(contractVersions.eventType, type),
        inArray(contractVersions.version, missing),
      ),
    )
    .all();
  for (const r of rows) {
    const schema = JSON.parse(r.schema) as Schema;
    if (versions.size >= MAX_VERSIONS) versions.delete(versions.keys().next().value as string);
    versions.set(versionKey(project, type, r.version), {
      compiled: new CompiledContract(r.version, schema),
      columns: typedColumnsOf(schema),
      encrypted: encryptedFieldsOf(schema),
      mode: r.mode,
    });
  }
}

/**
 * The active contracts of the given event types in a project (types without one are absent).
 * Costs one small D1 read per project per `ttlMs` and per isolate, plus one per new version.
 */
export async function activeContracts(
  db: D1Database,
  project: string,
  types: Iterable<string>,
  ttlMs: number,
): Promise<Map<string, ActiveContract>> {
  const h = await loadHeads(db, project, ttlMs);
  const out = new Map<string, ActiveContract>();
  const loads: Promise<void>[] = [];
  const wanted = [...new Set(types)].filter((t) => h.byType.has(t));
  for (const type of wanted) {
    const head = h.byType.get(type) as NonNullable<ReturnType<Heads["byType"]["get"]>>;
    const list = [head.current, ...(head.enforced !== null ? [head.enforced] : [])];
    loads.push(loadVersions(db, project, type, list));
  }
  await Promise.all(loads).catch((err) => {
    throw new TarnError("UNAVAILABLE", "a contract cannot be read right now; nothing was accepted, retry", {
      retryAfter: 5,
      cause: err,
    });
  });
  for (const type of wanted) {
    const head = h.byType.get(type) as NonNullable<ReturnType<Heads["byType"]["get"]>>;
    const get = (v: number | null) => (v === null ? null : (versions.get(versionKey(project, type, v)) ?? null));
    out.set(
      type,
      head.mode === "canary"
        ? { mode: "canary", enforced: get(head.enforced), observed: get(head.current) }
        : { mode: head.mode, enforced: get(head.current), observed: null },
    );
  }
  return out;
}

/** The typed columns each event type's files get now: those of the version in force. */
export async function typedColumnsFor(
  db: D1Database,
  project: string,
  types: Iterable<string>,
  ttlMs: number,
): Promise<Map<string, TypedColumn[]>> {
  const active = await activeContracts(db, project, types, ttlMs);
  return new Map([...active].map(([type, a]) => [type, a.enforced?.columns ?? []]));
}

/** The payload properties each event type's files store encrypted now: those the version in force marks. */
export async function encryptedFieldsFor(
  db: D1Database,
  project: string,
  types: Iterable<string>,
  ttlMs: number,
): Promise<Map<string, string[]>> {
  const active = await activeContracts(db, project, types, ttlMs);
  return new Map([...active].map(([type, a]) => [type, a.enforced?.encrypted ?? []]));
}
