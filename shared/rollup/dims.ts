// The grain of a rollup: one hour and the envelope dimensions a dashboard groups by.

/** Envelope columns a rollup keeps as dimensions, in the order rows and keys list them. */
export const ROLLUP_DIMS = ["event_type", "environment", "source", "country", "region"] as const;
export type RollupDim = (typeof ROLLUP_DIMS)[number];

/** Distinct counts a rollup keeps as HyperLogLog sketches, by column. */
export const ROLLUP_SKETCHES = ["user_id", "session_id"] as const;
export type RollupSketch = (typeof ROLLUP_SKETCHES)[number];

export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

export const hourOf = (ts: number): number => Math.floor(ts / HOUR_MS) * HOUR_MS;

/** One hour's aggregate for one combination of dimensions (null: the column was null). */
export interface RollupGroup {
  hourMs: number;
  dims: Record<RollupDim, string | null>;
  count: number;
  /** HyperLogLog.toBytes() of the hashed non-null values (the engine's approx_count_distinct). */
  sketches: Record<RollupSketch, Uint8Array>;
}
