// Window maths: events → per-window, per-group partial aggregates, and partials merged in any order.
import { z } from "zod";
import { getOrInsert } from "../collections";
import type { QueuedEvent } from "../events/queue-message";
import { EventView, type Scalar } from "./fields";
import { matchesFilter } from "./filter";
import { type AggregatePlan, GroupState, GroupStateJson, planOf } from "./group-state";
import type { StoredMetric } from "./metric-def";
import { isBeyondRetention, WINDOW_SIZES, type WindowSize, WindowSizeSchema, windowStart } from "./window-size";

/** Groups kept per window; later groups share one `__other__` group (totals stay exact). */
export const MAX_GROUPS_PER_WINDOW = 1000;
export const OTHER_GROUP = "__other__";

const ScalarSchema = z.union([z.string(), z.number(), z.boolean(), z.null()]);

export const GroupPartial = z.object({ key: z.string(), values: z.array(ScalarSchema), state: GroupStateJson });
export type GroupPartial = z.infer<typeof GroupPartial>;

export const WindowPartial = z.object({
  size: WindowSizeSchema,
  start: z.number().int(),
  groups: z.array(GroupPartial),
});
export type WindowPartial = z.infer<typeof WindowPartial>;

/** The key of a group: its values as JSON (never equal to OTHER_GROUP, which is not an array). */
export function groupKey(values: Scalar[]): string {
  return JSON.stringify(values);
}

interface WindowAcc {
  size: WindowSize;
  start: number;
  groups: Map<string, { values: Scalar[]; state: GroupState }>;
}

/** Accumulates events, or partials, into windows × groups for one metric. */
export class WindowAccumulator {
  private readonly windows = new Map<string, WindowAcc>();
  private readonly plan: AggregatePlan;

  /**
   * `keptAt`: leave out windows a shard would no longer keep at that time (isBeyondRetention), so
   * a backfill's old events cost no partials, RPC bytes or shard work. Without it, every window.
   */
  constructor(
    private readonly def: StoredMetric,
    private readonly keptAt?: number,
  ) {
    this.plan = planOf(def);
  }

  addEvents(events: Iterable<QueuedEvent>): this {
    const keptAt = this.keptAt;
    for (const event of events) {
      const sizes =
        keptAt === undefined
          ? this.def.windows
          : this.def.windows.filter((size) => !isBeyondRetention(windowStart(event.ts, size), size, keptAt));
      if (sizes.length === 0) continue;
      const view = new EventView(event);
      if (!matchesFilter(view, this.def.filter)) continue;
      const values = this.def.group_by.map((f) => view.scalar(f));
      const key = groupKey(values);
      // One state per event, merged into each window size, keeps the per-event work independent of sizes.
      const one = new GroupState();
      one.add(view, this.plan);
      for (const size of sizes) this.mergeInto(size, windowStart(event.ts, size), key, values, one);
    }
    return this;
  }

  addPartials(partials: Iterable<WindowPartial>): this {
    for (const w of partials)
      for (const g of w.groups) this.mergeInto(w.size, w.start, g.key, g.values, GroupState.fromJSON(g.state));
    return this;
  }

  /** The windows, in a canonical order (size, start, group key), as JSON-safe partials. */
  toPartials(): WindowPartial[] {
    const order = (s: WindowSize) => WINDOW_SIZES.indexOf(s);
    return [...this.windows.values()]
      .sort((a, b) => order(a.size) - order(b.size) || a.start - b.start)
      .map((w) => ({
        size: w.size,
        start: w.start,
        groups: [...w.groups]
          .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
          .map(([key, g]) => ({ key, values: g.values, state: g.state.toJSON() })),
      }));
  }

  private mergeInto(size: WindowSize, start: number, key: string, values: Scalar[], state: GroupState): void {
    const id = `${size}|${start}`;
    const w = getOrInsert(this.windows, id, (): WindowAcc => ({ size, start, groups: new Map() }));
    let target = w.groups.get(key);
    if (!target && w.groups.size >= MAX_GROUPS_PER_WINDOW) {
      key = OTHER_GROUP;
      values = this.def.group_by.map(() => OTHER_GROUP);
      target = w.groups.get(key);
    }
    if (!target) w.groups.set(key, { values, state: new GroupState().merge(state) });
    else target.state.merge(state);
  }
}

/**
 * The partial aggregates of a batch of events for one metric; with `keptAt`, only the windows a
 * shard still keeps at that time.
 */
export function computePartials(def: StoredMetric, events: Iterable<QueuedEvent>, keptAt?: number): WindowPartial[] {
  return new WindowAccumulator(def, keptAt).addEvents(events).toPartials();
}
