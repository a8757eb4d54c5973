// Rendering a window's groups as the `data` of a frame: totals, named aggregates, top-K groups.
import type { Scalar } from "./fields";
import { GroupState, type GroupStateJson } from "./group-state";
import { type Aggregate, aggregateName, EVENTS_METRIC, type StoredMetric } from "./metric-def";

export type AggregateValue = number | null | Record<string, number | null>;

export interface EventsData {
  count: number;
  by_event_type: Record<string, number>;
}

export interface MetricData {
  count: number;
  values: Record<string, AggregateValue>;
  groups?: { key: Record<string, Scalar>; count: number; values: Record<string, AggregateValue> }[];
}

export type WindowData = EventsData | MetricData;

export interface StoredGroup {
  key: string;
  values: Scalar[];
  state: GroupStateJson;
}

/** A group with its state already decoded (the shard's in-memory merge result). */
export interface StateGroup {
  key: string;
  values: Scalar[];
  state: GroupState;
}

/** `p50`, `p95`, `p99.9` for a quantile. */
export function quantileName(q: number): string {
  return `p${Number((q * 100).toFixed(4))}`;
}

function aggregateValue(a: Aggregate, g: GroupState): AggregateValue {
  if (a.fn === "count") return g.count;
  if (a.fn === "distinct") return g.hll.get(a.field)?.estimate() ?? 0;
  if (a.fn === "quantiles") {
    const s = g.q.get(a.field);
    return Object.fromEntries(a.qs.map((q) => [quantileName(q), s ? s.quantile(q) : null]));
  }
  const n = g.num.get(a.field);
  if (a.fn === "sum") return n?.sum ?? 0;
  if (!n || n.n === 0) return null;
  if (a.fn === "avg") return n.sum / n.n;
  return a.fn === "min" ? n.min : n.max;
}

function valuesOf(def: StoredMetric, g: GroupState): Record<string, AggregateValue> {
  return Object.fromEntries(def.aggregates.map((a) => [aggregateName(a), aggregateValue(a, g)]));
}

/** The frame data of one window of `def`, from its stored groups. */
export function renderWindow(def: StoredMetric, groups: StoredGroup[]): WindowData {
  if (def.id === EVENTS_METRIC.id) return renderEvents(groups);
  return renderStates(
    def,
    groups.map((g) => ({ key: g.key, values: g.values, state: GroupState.fromJSON(g.state) })),
  );
}

/** The frame data of one window of `def` from decoded group states (which it does not change). */
export function renderStates(def: StoredMetric, groups: StateGroup[]): WindowData {
  if (def.id === EVENTS_METRIC.id) return renderEvents(groups);
  const states = groups.map((g) => ({ g, state: g.state }));
  const total = new GroupState();
  for (const s of states) total.merge(s.state);
  const data: MetricData = { count: total.count, values: valuesOf(def, total) };
  if (def.group_by.length > 0) {
    data.groups = states
      .sort((a, b) => b.state.count - a.state.count || (a.g.key < b.g.key ? -1 : 1))
      .slice(0, def.top_k)
      .map(({ g, state }) => ({
        key: Object.fromEntries(def.group_by.map((f, i) => [f, g.values[i] ?? null])),
        count: state.count,
        values: valuesOf(def, state),
      }));
  }
  return data;
}

function renderEvents(groups: { key: string; values: Scalar[]; state: { count: number } }[]): EventsData {
  const byType = groups
    .map((g) => [String(g.values[0] ?? g.key), g.state.count] as const)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  return { count: byType.reduce((n, [, c]) => n + c, 0), by_event_type: Object.fromEntries(byType) };
}
