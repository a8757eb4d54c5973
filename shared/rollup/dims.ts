// The grain of a rollup: one hour and the envelope dimensions a dashboard groups by.

/** Envelope columns a rollup keeps as dimensions, in the order rows and keys list them. */
export const ROLLUP_DIMS = ["event_type", "environment", "source", "country", "region"] as const;
export type RollupDim = (typeof ROLLUP_DIMS)[number];

/**
 * Rollup levels (grouping sets), smallest first: each keeps the hour, `event_type` and the listed
 * dimensions; a level's other dimensions are stored as null and mean "all". Every level is built
 * from the same rows in the same D1 batch, so one `rollup_hours` row vouches for all of them.
 */
export const ROLLUP_LEVELS = [
  ["event_type"],
  ["event_type", "environment"],
  ["event_type", "source"],
  ["event_type", "country"],
  ["event_type", "region"],
  // Environment has a handful of values: by environment and one other dimension stays small.
  ["event_type", "environment", "source"],
  ["event_type", "environment", "region"],
  ["event_type", "environment", "country"],
  ["event_type", "environment", "source", "country", "region"],
] as const satisfies readonly (readonly RollupDim[])[];

/** A level's name, as stored in `rollups.level`: its kept dimensions joined by commas. */
export type RollupLevel = string;
export const levelName = (dims: readonly RollupDim[]): RollupLevel => dims.join(",");
export const LEVEL_NAMES: readonly RollupLevel[] = ROLLUP_LEVELS.map(levelName);
/** The level with every dimension. */
export const FULL_LEVEL = levelName(ROLLUP_DIMS);

/** The smallest level that keeps every one of `dims`. */
export function levelFor(dims: Iterable<RollupDim>): RollupLevel {
  const need = new Set(dims);
  const level = ROLLUP_LEVELS.find((l) => [...need].every((d) => (l as readonly RollupDim[]).includes(d)));
  return levelName(level ?? ROLLUP_DIMS);
}

/** Distinct counts a rollup keeps as HyperLogLog sketches, by column. */
export const ROLLUP_SKETCHES = ["user_id", "session_id"] as const;
export type RollupSketch = (typeof ROLLUP_SKETCHES)[number];

export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

export const hourOf = (ts: number): number => Math.floor(ts / HOUR_MS) * HOUR_MS;

/** One hour's aggregate at one level for one combination of its dimensions (null: the column was null, or not kept). */
export interface RollupGroup {
  hourMs: number;
  level: RollupLevel;
  dims: Record<RollupDim, string | null>;
  count: number;
  /** HyperLogLog.toBytes() of the hashed non-null values (the engine's approx_count_distinct). */
  sketches: Record<RollupSketch, Uint8Array>;
}
