// What running a plan needs besides the plan: the catalog, clock, counters, limits and fan-out.

import type { Compressors } from "hyparquet";
import type { ColumnInfo } from "./bind-expr";
import type { EvalContext } from "./bound";
import type { FileRef, FooterCache, QueryCatalog, ScanStatistics } from "./catalog";
import type { StringInterner } from "./interner";
import type { FanOut, WindowPartitionSpec } from "./partial";
import type { RowFilters } from "./row-filters";

export interface ExecEnv {
  catalog: QueryCatalog;
  ctx: EvalContext;
  stats: ScanStatistics & { files_listed: number };
  compressors: Compressors;
  footerCache?: FooterCache;
  maxRows: number;
  maxGroups: number;
  /** Throws when the query ran out of time. */
  checkpoint: () => void;
  /** The query's text and time limit (epoch ms), which splits are given. */
  sql: string;
  deadline: number;
  /** When set, scans of many files are split over sub-invocations. */
  fanOut?: FanOut;
  /** A join's build side, a windowed query's rows or a subquery's answer past this many rows is QUERY_TOO_LARGE. */
  maxJoinRows: number;
  /** Each scan's listing, asked of the catalog once (estimates and the scan share it). */
  listings: WeakMap<object, Promise<unknown>>;
  /** The joins run so far: which side was built, and the estimates that chose it. */
  joins: { type: string; build: "left" | "right"; estimates: { left: number; right: number } }[];
  /** Columns per table the query was bound with (see BindOptions); splits bind with the same. */
  tableColumns?: Readonly<Record<string, ColumnInfo[]>>;
  /** The principal's row-level policies; splits filter with the same. */
  rowFilters?: RowFilters;
  /** One id per distinct string for the whole query (grouping, joins and windows key on ids). */
  interner?: StringInterner;
  /**
   * Set while running one hash partition of a window block (a split's, or one the coordinator runs
   * itself): that block reads only its partition's rows, from `files` when given (a split cannot list).
   */
  windowPartition?: WindowPartitionSpec & { files?: FileRef[] };
}
