// The aggregate protocol, defined once: what binding asks for (AggSpec) and what every state implements (AggState).
// States import this file, never the registry (aggregates.ts), so no state depends on another.
import type { Bound } from "./bound";
import type { SqlType } from "./types";
import type { Vec } from "./vector";

export type AggKind =
  | "count_star"
  | "count"
  | "sum"
  | "avg"
  | "min"
  | "max"
  | "approx_count_distinct"
  | "quantile"
  | "var_samp"
  | "var_pop"
  | "stddev_samp"
  | "stddev_pop"
  | "corr"
  | "string_agg"
  | "mode"
  | "approx_quantile";

export interface AggSpec {
  kind: AggKind;
  distinct: boolean;
  /** The argument, bound over the input batch; null for count(*). */
  arg: Bound | null;
  /** quantile_cont's fraction (median: 0.5). */
  fraction: number;
  type: SqlType;
  /** corr's second argument (x in corr(y, x)). */
  arg2?: Bound | null;
  /** string_agg's separator. */
  separator?: string;
}

export interface AggState {
  /** Fold a batch in: `gids` gives each row's group (null: one group), `groups` the groups so far. */
  update(gids: Int32Array | null, arg: Vec | null, n: number, groups: number, arg2?: Vec | null): void;
  /** Values for groups 0..groups-1. */
  finish(groups: number): Vec;
  /** Values held (distinct sets, quantile lists), for the memory guard. */
  held(): number;
  /** Groups 0..groups-1 as plain data (typed arrays, arrays), to merge in another invocation. */
  exportPartial(groups: number): unknown;
  /** Fold in another state's export: its group i becomes this state's group `gids[i]` (null: group 0). */
  mergePartial(part: unknown, gids: Int32Array | null, groups: number): void;
}
