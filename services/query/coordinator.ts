// The query coordinator: one path for every /v1/query. Parse once, then the answer cache, then
// rollups (a port), then the scan with splits; EXPLAIN walks the same path without reading files.
import { AUDIT_TABLE } from "../../shared/access/audit-parquet";
import { holds } from "../../shared/access/permissions";
import { rowFiltersFor } from "../../shared/access/row-policy";
import { readConfig } from "../../shared/config";
import { TarnError } from "../../shared/errors";
import type { ProjectPrincipal } from "../../shared/principal";
import { masksAnyOf, type PrivacyPolicy } from "../../shared/privacy/policy";
import {
  emptyStatistics,
  explainPrefix,
  explainQuery,
  type JoinExplain,
  type Parsed,
  parseQuery,
  policySelect,
  QueryError,
  type QueryStatistics as QueryReadStatistics,
  runQuery,
  type ScanExplain,
  type SqlModel,
} from "../../shared/query";
import type { ColumnInfo } from "../../shared/query/bind-expr";
import type { ValueGuard } from "../../shared/query/catalog";
import { referencedTables } from "../../shared/query/referenced-tables";
import type { RowFilters } from "../../shared/query/row-filters";
import { TABLE_COLUMNS } from "../../shared/query/schema";
import type { SqlType } from "../../shared/query/types";
import { ROLLUP_DIMS, ROLLUP_SKETCHES } from "../../shared/rollup/dims";
import { matchRollupQuery, type RollupPlan } from "../../shared/rollup/match";
import type { RollupPort } from "../../shared/rollup/port";
import { cachedPolicies } from "../access/policies";
import { readTogether } from "../d1/batched-read";
import { latestSnapshotRead, ownTables, snapshotAsOf, snapshotExists, typedColumnsByDataset } from "../manifest/read";
import { canUnmask, privacyPolicyRead, privacyUnder } from "../privacy/masking";
import { listViewsRead, type ViewRow } from "../views/store";
import { answerKey, cacheLookupAhead, rememberFound } from "./cache-lookahead";
import { projectCatalog } from "./catalog";
import { atSnapshot } from "./current-lake-memo";
import { projectFanOut } from "./fan-out";
import { footers } from "./footers";
import { sqlModels } from "./models";
import { type AnswerKey, type CachedAnswer, cachedAnswer, storeAnswer } from "./result-cache";
import { projectRollups } from "./rollup-port";
import { chooseView, type ViewChoice, viewsNamed } from "./view-port";

const MAX_RESULT_ROWS = 100_000;

export type AnswerSource = "cache" | "rollup" | "view" | "scan";

export interface QueryStatistics extends QueryReadStatistics {
  elapsed: number;
  snapshot: number;
  /** Which step answered: the cache, gold rollups, or a scan of the files. */
  source: AnswerSource;
  /** The answer was computed from rollups (also when it is now served from cache). */
  rollup: boolean;
  cached: boolean;
}

/** What EXPLAIN tells: the path the query takes and what each step would read. */
export interface Explanation {
  source: AnswerSource;
  snapshot: number;
  cache: { eligible: boolean; hit: boolean; reason?: string };
  rollup: { eligible: boolean; level?: string; groups?: number; reason?: string };
  /** A materialized view whose SELECT the query is, when it answers identically. */
  view: { eligible: boolean; name?: string; reason?: string };
  /** Every table the query reads, as written in SQL (`datasets.<type>` for the type-only table). */
  tables: string[];
  scans: ScanExplain[];
  /** Each join: its type, keys, the side it builds its hash table from, and the estimates behind it. */
  joins: JoinExplain[];
  /** With EXPLAIN ANALYZE: what running it read. */
  analyzed?: QueryStatistics;
  /** The tables the asker's row-level policies filtered (empty: none applied). */
  row_policies: { tables: string[] };
}

export interface CoordinatedAnswer {
  meta: { name: string; type: string }[];
  rows: unknown[][];
  statistics: QueryStatistics;
  explain?: Explanation;
}

export interface QueryRequest {
  sql: string;
  snapshot?: number;
  as_of?: string;
}

export interface QueryContext {
  env: Env;
  exports: Cloudflare.Exports;
  /** Runs the cache write after the response. */
  waitUntil: (work: Promise<unknown>) => void;
  projectId: string;
  /**
   * Who asks: their row-level policies filter every table they read, and tables only some may read
   * (`audit`: admins) are refused to others. `system` is Tarn itself (a view's refresh, a job): no
   * policy applies and no table is refused. Every caller must choose.
   */
  principal: ProjectPrincipal | "system";
  /**
   * A shared link's sharer: their row-level policies apply as well as the asker's (who is a viewer
   * for masking), so a link never shows a row its sharer could not see.
   */
  sharedBy?: ProjectPrincipal;
}

function toTarnError(err: unknown): unknown {
  if (!(err instanceof QueryError)) return err;
  const details = err.position ? { line: err.position.line, column: err.position.column } : {};
  return new TarnError(err.code, err.message, { details, cause: err });
}

async function resolveSnapshot(db: D1Database, projectId: string, request: QueryRequest) {
  if (request.snapshot !== undefined) {
    if (!(await snapshotExists(db, projectId, request.snapshot))) {
      throw new TarnError("NOT_FOUND", `no snapshot ${request.snapshot} in this project`);
    }
    return request.snapshot;
  }
  if (request.as_of !== undefined) {
    const id = await snapshotAsOf(db, projectId, new Date(request.as_of).toISOString());
    // Before the first snapshot the lake was empty: snapshot 0 has no files.
    return id ?? 0;
  }
  return undefined;
}

/** Everything one query's steps share: the parsed text, its snapshot, clock and ports. */
interface Plan {
  parsed: Parsed;
  now: Date;
  started: number;
  snapshot: number | undefined;
  version: number;
  cacheKey: AnswerKey | null;
  /** The answer cache's entry under `cacheKey`, when it was looked up before the plan was known. */
  cacheRead?: Promise<CachedAnswer | null>;
  rollups: RollupPort | null;
  /** The project's views, read beside the snapshot. */
  views: readonly ViewRow[];
  /** The asker's row-level policies (none for `system` or an unbound principal). */
  rowFilters: RowFilters | undefined;
  /** Privacy: values leave the files masked (and decrypted) as the principal may see them. */
  guard: ValueGuard;
  /** The privacy policy the guard applies (splits run under the same, without reading it again). */
  policy: PrivacyPolicy;
  unmask: boolean;
  /** Models the SQL's predict() calls: such a query runs in this invocation (models are not shipped to splits). */
  models?: Record<string, SqlModel>;
  /** The tables' columns at the plan's snapshot, once asked for (read alongside the view and rollup checks). */
  columnsRead?: Promise<Readonly<Record<string, ColumnInfo[]>>>;
}

function statistics(plan: Plan, source: AnswerSource, measured: Partial<QueryStatistics> = {}): QueryStatistics {
  // Under row-level policies, what was read would count rows the policies remove: withheld (0).
  const read: Partial<QueryStatistics> = plan.rowFilters ? { rollup: measured.rollup } : measured;
  return {
    ...emptyStatistics(),
    splits: 0,
    ...read,
    elapsed: (Date.now() - plan.started) / 1000,
    snapshot: plan.version,
    source,
    rollup: read.rollup ?? source === "rollup",
    cached: source === "cache",
  };
}

/** The rollup plan and its answer, or why rollups cannot answer. */
async function tryRollups(
  plan: Plan,
): Promise<{ rollup: RollupPlan | null; answer: CoordinatedAnswer | null; reason?: string }> {
  if (!plan.rollups) {
    const reason =
      plan.snapshot !== undefined
        ? "time travel reads the files as they were"
        : "rollups hold dimensions masked for you";
    return { rollup: null, answer: null, reason };
  }
  // A filtered principal's query matches a rollup only when its filters are on rollup dimensions.
  const filtered = { ...plan.parsed, select: policySelect(plan.parsed.select, plan).select };
  const rollup = matchRollupQuery(filtered, plan.now.getTime());
  if (!rollup)
    return { rollup, answer: null, reason: "not a count or approximate distinct count by rollup dimensions" };
  const gold = await plan.rollups.answer(rollup);
  if (!gold) return { rollup, answer: null, reason: "some hour in range has no valid rollup yet" };
  if (gold.rows.length > MAX_RESULT_ROWS) return { rollup, answer: null, reason: "too many rows" };
  return { rollup, answer: { meta: gold.meta, rows: gold.rows, statistics: statistics(plan, "rollup") } };
}

/**
 * The columns of each table that has more or other columns than the lake's, at the plan's snapshot,
 * as the engine binds them: an event type with typed (contract) columns, and every table of its own.
 */
export async function tableColumnsOf(
  db: D1Database,
  projectId: string,
  snapshot?: number,
): Promise<Record<string, ColumnInfo[]>> {
  const [typed, own] = await Promise.all([
    typedColumnsByDataset(db, projectId, snapshot),
    ownTables(db, projectId, snapshot),
  ]);
  const asInfo = (cols: readonly { name: string; type: string }[]) =>
    cols.map((c) => ({ name: c.name, type: c.type as SqlType }));
  return Object.fromEntries([
    ...[...typed].map(([dataset, cols]) => [dataset, [...TABLE_COLUMNS, ...asInfo(cols)]]),
    ...[...own].map(([dataset, t]) => [dataset, asInfo(t.columns)]),
  ]);
}

/** The tables' columns the plan reads, kept per current snapshot (current-lake-memo.ts). */
function planColumns(ctx: QueryContext, plan: Plan): Promise<Readonly<Record<string, ColumnInfo[]>>> {
  if (plan.snapshot !== undefined) return tableColumnsOf(ctx.env.DB, ctx.projectId, plan.snapshot);
  return atSnapshot(`columns\0${ctx.projectId}\0${plan.version}`, () => tableColumnsOf(ctx.env.DB, ctx.projectId));
}

/** The plan's catalog: the current lake's listings are kept per snapshot, like its columns. */
function planCatalog(ctx: QueryContext, plan: Plan) {
  return projectCatalog(ctx.env, ctx.projectId, plan.snapshot, plan.guard, plan.version);
}

async function scan(ctx: QueryContext, plan: Plan): Promise<CoordinatedAnswer> {
  const catalog = planCatalog(ctx, plan);
  const result = await runQuery(plan.parsed, catalog, {
    tableColumns: await (plan.columnsRead ?? planColumns(ctx, plan)),
    now: plan.now,
    footerCache: footers,
    timeoutMs: readConfig(ctx.env).queryTimeoutMs,
    maxResultRows: MAX_RESULT_ROWS,
    fanOut: plan.models ? undefined : projectFanOut(ctx.env, ctx.exports, ctx.projectId, plan.unmask, plan.policy),
    rowFilters: plan.rowFilters,
    models: plan.models,
  });
  const read = result.statistics;
  return {
    meta: result.meta,
    rows: result.rows,
    statistics: statistics(plan, "scan", {
      rows_read: read.rows_read,
      // The engine counts bytes in this invocation and in its splits alike.
      bytes_read: read.bytes_read,
      files_read: read.files_read,
      files_pruned: catalog.filesInTables - catalog.filesListed + read.files_pruned,
      row_groups_read: read.row_groups_read,
      row_groups_pruned: read.row_groups_pruned,
      splits: read.splits,
    }),
  };
}

/** The view whose SELECT the query is (its text in `choice.sql`), or why none answers it. */
async function chooseViewFor(ctx: QueryContext, plan: Plan): Promise<ViewChoice> {
  // Time travel and clock-reading queries take the scan: a view holds one version, built at one time.
  if (plan.snapshot !== undefined) return { reason: "time travel reads the files as they were" };
  if (!plan.cacheKey) return { reason: "the query reads the clock" };
  // A view holds every row: never for someone row-level policies bind.
  if (plan.rowFilters) return { reason: "row-level policies apply to the asker" };
  return chooseView(
    ctx.env.DB,
    ctx.projectId,
    plan.views,
    plan.parsed.sql,
    () => plan.columnsRead ?? planColumns(ctx, plan),
  );
}

/**
 * The answer read from the chosen view's files; a tail (ORDER BY) that does not bind to the view's
 * columns falls back to the scan (null, with the reason in the returned choice).
 */
async function readView(
  ctx: QueryContext,
  plan: Plan,
  choice: ViewChoice,
): Promise<{ choice: ViewChoice; answer: CoordinatedAnswer | null }> {
  if (!choice.sql) return { choice, answer: null };
  try {
    const read = await scan(ctx, { ...plan, parsed: parseQuery(choice.sql) });
    return { choice, answer: { ...read, statistics: { ...read.statistics, source: "view" } } };
  } catch (err) {
    if (err instanceof QueryError && err.code === "INVALID_SQL") {
      return {
        choice: { view: choice.view, reason: "the query's ORDER BY does not bind to the view's columns" },
        answer: null,
      };
    }
    throw err;
  }
}

/**
 * The answer by the first step that can give it: cache, a view, rollups, scan. The checks are
 * independent reads (the cache, the views, the rollups' coverage, the tables' columns), so they are
 * made together and taken in that order: one round trip's wait instead of four.
 */
async function answer(ctx: QueryContext, plan: Plan): Promise<CoordinatedAnswer> {
  const columnsRead = planColumns(ctx, plan);
  const reading = { ...plan, columnsRead };
  const cacheRead = plan.cacheKey ? (plan.cacheRead ?? cachedAnswer(plan.cacheKey)) : Promise.resolve(null);
  const viewChosen = chooseViewFor(ctx, reading);
  const goldRead = tryRollups(reading);
  // Each is awaited below only if the steps before it did not answer.
  for (const p of [columnsRead, cacheRead, viewChosen, goldRead]) p.catch(() => {});
  const hit = await cacheRead;
  if (hit) {
    const stored = hit.statistics as unknown as QueryStatistics;
    return {
      meta: hit.meta,
      rows: hit.rows,
      statistics: statistics(plan, "cache", { ...stored, rollup: stored.rollup }),
    };
  }
  const viewed = await readView(ctx, reading, await viewChosen);
  const gold = viewed.answer ? null : (await goldRead).answer;
  const answered = viewed.answer ?? gold ?? (await scan(ctx, reading));
  if (plan.cacheKey) {
    const { meta, rows, statistics: s } = answered;
    ctx.waitUntil(storeAnswer(plan.cacheKey, { meta, rows, statistics: { ...s } }).catch(() => {}));
  }
  return answered;
}

/** EXPLAIN [ANALYZE]: the path the query takes and what each step reads. */
async function explain(ctx: QueryContext, plan: Plan, analyze: boolean): Promise<CoordinatedAnswer> {
  const cacheHit = plan.cacheKey ? (await cachedAnswer(plan.cacheKey)) !== null : false;
  const viewed = { choice: await chooseViewFor(ctx, plan) };
  const fromView = viewed.choice.sql !== undefined;
  const gold = await tryRollups(plan);
  const catalog = planCatalog(ctx, plan);
  const tableColumns = await planColumns(ctx, plan);
  // From a view, the scans are those of the view's files.
  const { tables, scans, joins } = await explainQuery(
    fromView ? parseQuery(viewed.choice.sql as string) : plan.parsed,
    catalog,
    {
      tableColumns,
      now: plan.now,
      fanOut: plan.models ? undefined : projectFanOut(ctx.env, ctx.exports, ctx.projectId, plan.unmask, plan.policy),
      rowFilters: plan.rowFilters,
      models: plan.models,
    },
  );
  const source: AnswerSource = cacheHit ? "cache" : fromView ? "view" : gold.answer ? "rollup" : "scan";
  // Under row-level policies the manifest's counts would tell of rows the policies remove: withheld.
  const withheld = plan.rowFilters !== undefined;
  const shownScans = withheld
    ? scans.map((s) => ({ ...s, files_listed: 0, files_to_read: 0, rows_to_read: 0, bytes_to_read: 0, splits: 0 }))
    : scans;
  const shownJoins = withheld ? joins.map((j) => ({ ...j, estimated_rows: { left: 0, right: 0 } })) : joins;
  const explanation: Explanation = {
    source,
    snapshot: plan.version,
    cache: plan.cacheKey
      ? { eligible: true, hit: cacheHit }
      : { eligible: false, hit: false, reason: "the query reads the clock" },
    rollup: gold.answer
      ? { eligible: true, level: gold.rollup?.level, groups: gold.answer.rows.length }
      : { eligible: false, level: gold.rollup?.level, reason: gold.reason },
    view: fromView
      ? { eligible: true, name: viewed.choice.view }
      : { eligible: false, name: viewed.choice.view, reason: viewed.choice.reason },
    tables,
    scans: shownScans,
    joins: shownJoins,
    // That policies applied and where, never their filters (an admin reads those at /v1/policies).
    row_policies: { tables: policySelect(plan.parsed.select, { ...plan, tableColumns }).filtered },
  };
  if (analyze) explanation.analyzed = (await answer(ctx, { ...plan, started: Date.now() })).statistics;
  const lines = describe(explanation);
  return {
    meta: [{ name: "plan", type: "VARCHAR" }],
    rows: lines.map((l) => [l]),
    statistics: statistics(plan, source, explanation.analyzed),
    explain: explanation,
  };
}

/** The explanation as text lines, one per step, for CSV/NDJSON clients and people. */
function describe(e: Explanation): string[] {
  const lines = [`answered by: ${e.source} (snapshot ${e.snapshot})`];
  lines.push(`cache: ${e.cache.eligible ? (e.cache.hit ? "hit" : "miss") : `not used: ${e.cache.reason}`}`);
  lines.push(
    e.rollup.eligible
      ? `rollup: level ${e.rollup.level}, ${e.rollup.groups} rows`
      : `rollup: not used: ${e.rollup.reason}${e.rollup.level ? ` (level ${e.rollup.level})` : ""}`,
  );
  lines.push(e.view.eligible ? `view: ${e.view.name}` : `view: not used: ${e.view.reason}`);
  lines.push(`tables: ${e.tables.join(", ") || "none"}`);
  if (e.row_policies.tables.length > 0) {
    lines.push(`row-level policies: applied to ${e.row_policies.tables.join(", ")} (read statistics withheld)`);
  }
  for (const j of e.joins) {
    lines.push(
      `join ${j.type.toUpperCase()} (depth ${j.depth}): ${j.keys > 0 ? `hash join on ${j.keys} key${j.keys > 1 ? "s" : ""}` : "nested loop"}, ` +
        `build ${j.build} side (${j.tables[j.build].join(", ") || "subquery"}; estimated rows left ${j.estimated_rows.left}, right ${j.estimated_rows.right})`,
    );
  }
  for (const s of e.scans) {
    const range = s.time_range ? ` ts ${s.time_range.from ?? "-∞"} … ${s.time_range.to ?? "+∞"};` : "";
    const types = s.event_types ? ` event types ${s.event_types.join(", ")};` : "";
    lines.push(
      `scan ${s.table} (depth ${s.depth}):${range}${types} ${s.files_listed} files listed, ${s.files_to_read} to read ` +
        `(${s.rows_to_read} rows, ${s.bytes_to_read} bytes); columns ${s.columns.join(", ") || "none"}; ` +
        (s.splits > 0 ? `${s.splits} splits` : "one invocation"),
    );
  }
  if (e.analyzed) {
    const a = e.analyzed;
    lines.push(
      `analyzed: ${a.elapsed}s, ${a.rows_read} rows, ${a.files_read} files read, ${a.files_pruned} pruned, ` +
        `${a.row_groups_read} row groups read, ${a.row_groups_pruned} pruned, ${a.splits} splits`,
    );
  }
  return lines;
}

/** The audit table is the admins' (the `manage` permission), whatever path the query came by. */
function requireReadableTables(parsed: Parsed, principal: ProjectPrincipal | "system"): void {
  if (principal === "system" || !referencedTables(parsed.select).has(AUDIT_TABLE)) return;
  if (holds(principal, "manage")) return;
  throw new TarnError("FORBIDDEN", `Only admins may read the ${AUDIT_TABLE} table`, {
    details: { table: AUDIT_TABLE, permission: "manage" },
  });
}

/** The row-level policies that bind the asker, or undefined when none does. */
async function rowFiltersOf(ctx: QueryContext): Promise<RowFilters | undefined> {
  if (ctx.principal === "system") return undefined;
  const policies = await cachedPolicies(ctx.env.DB, ctx.projectId, readConfig(ctx.env).keyCacheTtlMs);
  const own = rowFiltersFor(policies, ctx.principal);
  if (!ctx.sharedBy) return own.filters.length > 0 ? own : undefined;
  // A link: the sharer's identity answers current_user_*(), and both sets of filters hold.
  const sharer = rowFiltersFor(policies, ctx.sharedBy);
  const filters = { filters: [...sharer.filters, ...own.filters], identity: sharer.identity };
  return filters.filters.length > 0 ? filters : undefined;
}

/**
 * Answers one /v1/query request. Throws TarnError for what the client must fix (bad SQL, unknown
 * snapshot, a garbage-collected snapshot, too large, too slow).
 */
export async function coordinateQuery(ctx: QueryContext, request: QueryRequest): Promise<CoordinatedAnswer> {
  const started = Date.now();
  const { mode, sql } = explainPrefix(request.sql);
  // Tarn's own reads (`system`: a view's refresh) see values masked, as any principal without unmask.
  const unmask = canUnmask(ctx.principal === "system" ? undefined : ctx.principal);
  const pinned = request.snapshot !== undefined || request.as_of !== undefined;
  const filtersRead = rowFiltersOf(ctx);
  filtersRead.catch(() => {}); // awaited below, after the SQL is known to parse
  const db = ctx.env.DB;
  const ahead = pinned || mode !== "none" ? undefined : cacheLookupAhead(ctx.projectId, unmask, sql, filtersRead);
  // What every query needs is read in one D1 batch: the latest snapshot, the privacy policy and
  // the views (a pinned snapshot is resolved beside it).
  const [snapshot, [latest, policyFor, views]] = await Promise.all([
    resolveSnapshot(db, ctx.projectId, request),
    readTogether(db, [
      latestSnapshotRead(db, ctx.projectId),
      privacyPolicyRead(db, ctx.projectId),
      listViewsRead(db, ctx.projectId),
    ]),
  ]);
  const version = snapshot ?? latest;
  const privacy = privacyUnder(ctx.env, ctx.projectId, policyFor(unmask));
  rememberFound(ctx.projectId, unmask, { version: latest, view: privacy.policy.fingerprint });
  try {
    const parsed = parseQuery(sql);
    requireReadableTables(parsed, ctx.principal);
    const rowFilters = await filtersRead;
    if (rowFilters) {
      const named = viewsNamed(views, parsed.select);
      if (named.length > 0) {
        throw new TarnError("FORBIDDEN", `row-level policies apply to you, and view ${named[0]} holds every row`, {
          details: { views: named },
        });
      }
    }
    const cacheKey = answerKey(
      ctx.projectId,
      sql,
      { version, pinned: snapshot !== undefined, view: privacy.policy.fingerprint },
      rowFilters,
    );
    const guessed = await ahead;
    const plan: Plan = {
      parsed,
      now: new Date(),
      started,
      snapshot,
      version,
      // An answer that depends on the clock is never reused.
      cacheKey,
      cacheRead: cacheKey && guessed?.key === JSON.stringify(cacheKey) ? guessed.answer : undefined,
      views,
      rowFilters,
      // Only the current lake has rollups; they hold clear dimensions, so not for a principal who sees them masked.
      rollups:
        snapshot === undefined && !masksAnyOf(privacy.policy, [...ROLLUP_DIMS, ...ROLLUP_SKETCHES])
          ? projectRollups(ctx.env.DB, ctx.projectId)
          : null,
      guard: privacy.guard,
      policy: privacy.policy,
      unmask,
      models: await sqlModels(ctx.env, ctx.projectId, sql),
    };
    return mode === "none" ? await answer(ctx, plan) : await explain(ctx, plan, mode === "analyze");
  } catch (err) {
    throw toTarnError(err);
  }
}
