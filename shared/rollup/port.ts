// How the query coordinator reaches rollups, as it reaches files through a catalog: a port the
// service layer implements over its store.
import type { RollupPlan } from "./match";

export interface RollupAnswer {
  meta: { name: string; type: string }[];
  rows: unknown[][];
  /** Rollup rows aggregated. */
  groupsRead: number;
}

export interface RollupPort {
  /** The plan's exact answer from rollups, or null when some hour it needs has no valid rollup. */
  answer(plan: RollupPlan): Promise<RollupAnswer | null>;
}
