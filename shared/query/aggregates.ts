// The aggregate registry: an AggSpec from binding to the state that computes it (agg-state.ts is the protocol).
import type { AggSpec, AggState } from "./agg-state";
import { CountState } from "./count-state";
import { ApproxDistinctState, DistinctState } from "./distinct-states";
import { ExtremeState } from "./extreme-state";
import type { StringInterner } from "./interner";
import { ListState } from "./list-states";
import { MomentsState } from "./moments-state";
import { QuantileState } from "./quantile-state";
import { SumState } from "./sum-state";
import { isInteger, storageOf } from "./types";

/** A fresh state for one aggregate call of a query. */
export function createState(spec: AggSpec, interner?: StringInterner): AggState {
  const argType = spec.arg?.type;
  switch (spec.kind) {
    case "count_star":
      return new CountState(true);
    case "count":
      return spec.distinct ? new DistinctState(interner) : new CountState(false);
    case "sum":
      return new SumState(argType !== undefined && isInteger(argType), false);
    case "avg":
      return new SumState(argType !== undefined && isInteger(argType), true);
    case "min":
    case "max": {
      return new ExtremeState(spec.kind === "max", storageOf(argType ?? "INTEGER"));
    }
    case "approx_count_distinct":
      return new ApproxDistinctState();
    case "quantile":
      return new QuantileState(spec.fraction);
    case "var_samp":
    case "var_pop":
    case "stddev_samp":
    case "stddev_pop":
    case "corr":
      return new MomentsState(spec.kind);
    case "string_agg":
      return new ListState("string_agg", "str", spec.separator ?? ",");
    case "mode":
      return new ListState("mode", storageOf(argType ?? "INTEGER"), null);
    case "approx_quantile":
      return new ListState("approx_quantile", storageOf(argType ?? "INTEGER"), spec.fraction);
  }
}
