// Deployment settings read from string vars, with the defaults the README documents.
import { DEFAULT_PACK_LIMITS, type PackLimits } from "./events/pack";

/** The super-admin key shipped in .dev.vars.example; production refuses to serve with it. */
export const EXAMPLE_ADMIN_API_KEY = "tk_dev_admin_change_me_0000000000000000000000";

export interface TarnConfig {
  environment: string;
  maxBodyBytes: number;
  maxEventBytes: number;
  maxEventsPerRequest: number;
  keyCacheTtlMs: number;
  dedupeWindowHours: number;
  /** Queue message packing; INGEST_MESSAGE_BYTES sets the target (≤ 120 KB keeps under the 128 KB cap). */
  packLimits: PackLimits;
  /** Number of DedupeShard objects event ids are spread over. */
  dedupeShards: number;
  /** Rows per compacted (silver) file, at most. */
  compactTargetRows: number;
  /**
   * Input bytes (Parquet, as stored) per compacted file, at most: what bounds a compaction's memory,
   * since the rows of one output are held decoded (about 10–15× their stored size) inside 128 MB.
   * One run reads at most four times this.
   */
  compactTargetBytes: number;
  /** Input files one compaction invocation reads before it hands the rest to a follow-up job. */
  compactMaxFilesPerRun: number;
  /** A dataset with this many current bronze files gets a compaction job right after a landing. */
  compactBronzeFiles: number;
  /**
   * Seconds after a landing that leaves fewer bronze files than that (but some to merge) before a
   * compaction takes them anyway, so the tail of a burst does not wait for the hourly one; 0: never.
   */
  compactSettleSeconds: number;
  /** Days a quarantined event is kept. */
  quarantineRetentionDays: number;
  /** Hours a replaced object stays readable (time travel) before garbage collection. */
  gcGraceHours: number;
  /** A query scan of more files or rows than these is split over sub-invocations, each reading at most this much. */
  querySplitFiles: number;
  querySplitRows: number;
  /** Splits of one query in flight at once, and at most (a request may make 32 Worker invocations). */
  querySplitConcurrency: number;
  queryMaxSplits: number;
  /** Bytes of lake files an isolate keeps for later queries (QUERY_CACHE_MB). */
  queryCacheBytes: number;
  /** A query running longer is stopped with QUERY_TIMEOUT (QUERY_TIMEOUT_SECONDS, in ms here). */
  queryTimeoutMs: number;
  /** How long an isolate trusts its view of a project's contracts (ms): a change applies within this. */
  contractCacheTtlMs: number;
  /** An ingest batch syncs its project's Iceberg tables at most this often per isolate (ms); 0 = every batch. */
  icebergSyncIntervalMs: number;
  /** OpenLineage receiver; lineage events are forwarded there through the webhooks queue when set. */
  lineageUrl: string | null;
}

export type TarnVars = Partial<
  Record<
    | "ENVIRONMENT"
    | "MAX_BODY_BYTES"
    | "MAX_EVENT_BYTES"
    | "MAX_EVENTS_PER_REQUEST"
    | "KEY_CACHE_TTL_MS"
    | "DEDUPE_WINDOW_HOURS"
    | "INGEST_MESSAGE_BYTES"
    | "DEDUPE_SHARDS"
    | "COMPACT_TARGET_ROWS"
    | "COMPACT_TARGET_BYTES"
    | "COMPACT_MAX_FILES_PER_RUN"
    | "COMPACT_BRONZE_FILES"
    | "COMPACT_SETTLE_SECONDS"
    | "QUARANTINE_RETENTION_DAYS"
    | "GC_GRACE_HOURS"
    | "QUERY_SPLIT_FILES"
    | "QUERY_SPLIT_ROWS"
    | "QUERY_SPLIT_CONCURRENCY"
    | "QUERY_MAX_SPLITS"
    | "QUERY_CACHE_MB"
    | "QUERY_TIMEOUT_SECONDS"
    | "CONTRACT_CACHE_TTL_MS"
    | "LINEAGE_URL"
    | "ICEBERG_SYNC_INTERVAL_MS",
    string
  >
>;

function positiveInt(raw: string | undefined, fallback: number): number {
  const n = raw === undefined ? Number.NaN : Number(raw);
  return Number.isInteger(n) && n >= 0 ? n : fallback;
}

/** A duration in seconds, fractions allowed; zero, negative or unreadable is the fallback. */
function positiveSeconds(raw: string | undefined, fallback: number): number {
  const n = raw === undefined ? Number.NaN : Number(raw);
  return Number.isFinite(n) && n > 0 ? n : fallback;
}

/** Reads the vars once per call; cheap enough for every request. */
export function readConfig(vars: TarnVars): TarnConfig {
  return {
    environment: vars.ENVIRONMENT ?? "development",
    maxBodyBytes: positiveInt(vars.MAX_BODY_BYTES, 10 * 1024 * 1024),
    maxEventBytes: positiveInt(vars.MAX_EVENT_BYTES, 32 * 1024),
    maxEventsPerRequest: positiveInt(vars.MAX_EVENTS_PER_REQUEST, 10_000),
    keyCacheTtlMs: positiveInt(vars.KEY_CACHE_TTL_MS, 1000),
    dedupeWindowHours: positiveInt(vars.DEDUPE_WINDOW_HOURS, 24),
    packLimits: vars.INGEST_MESSAGE_BYTES
      ? {
          targetMessageBytes: positiveInt(vars.INGEST_MESSAGE_BYTES, DEFAULT_PACK_LIMITS.targetMessageBytes),
          maxMessageBytes: positiveInt(vars.INGEST_MESSAGE_BYTES, DEFAULT_PACK_LIMITS.maxMessageBytes),
        }
      : DEFAULT_PACK_LIMITS,
    dedupeShards: Math.max(1, positiveInt(vars.DEDUPE_SHARDS, 16)),
    compactTargetRows: Math.max(1, positiveInt(vars.COMPACT_TARGET_ROWS, 500_000)),
    compactTargetBytes: Math.max(1, positiveInt(vars.COMPACT_TARGET_BYTES, 4 * 1024 * 1024)),
    compactMaxFilesPerRun: Math.max(1, positiveInt(vars.COMPACT_MAX_FILES_PER_RUN, 200)),
    compactBronzeFiles: Math.max(2, positiveInt(vars.COMPACT_BRONZE_FILES, 32)),
    compactSettleSeconds: positiveInt(vars.COMPACT_SETTLE_SECONDS, 60),
    quarantineRetentionDays: positiveInt(vars.QUARANTINE_RETENTION_DAYS, 30),
    gcGraceHours: positiveInt(vars.GC_GRACE_HOURS, 24),
    querySplitFiles: Math.max(1, positiveInt(vars.QUERY_SPLIT_FILES, 64)),
    querySplitRows: Math.max(1, positiveInt(vars.QUERY_SPLIT_ROWS, 4_000_000)),
    querySplitConcurrency: Math.max(1, positiveInt(vars.QUERY_SPLIT_CONCURRENCY, 6)),
    queryMaxSplits: Math.max(1, positiveInt(vars.QUERY_MAX_SPLITS, 24)),
    queryCacheBytes: positiveInt(vars.QUERY_CACHE_MB, 16) * 1024 * 1024,
    queryTimeoutMs: positiveSeconds(vars.QUERY_TIMEOUT_SECONDS, 25) * 1000,
    contractCacheTtlMs: positiveInt(vars.CONTRACT_CACHE_TTL_MS, 1000),
    icebergSyncIntervalMs: positiveInt(vars.ICEBERG_SYNC_INTERVAL_MS, 5000),
    lineageUrl: vars.LINEAGE_URL ? vars.LINEAGE_URL : null,
  };
}

/** Why the super-admin secret is unfit for production, or null when it is fine. */
export function adminKeyProblem(adminKey: string | undefined): string | null {
  if (!adminKey) return "ADMIN_API_KEY is not set";
  if (adminKey === EXAMPLE_ADMIN_API_KEY) return "ADMIN_API_KEY still has the example value";
  if (adminKey.length < 32) return "ADMIN_API_KEY is shorter than 32 characters";
  return null;
}
