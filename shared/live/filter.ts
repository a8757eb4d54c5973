// Whether an event belongs to a metric: its event types and simple predicates, all of which must hold.
import type { EventView } from "./fields";
import type { MetricFilter, Predicate } from "./metric-def";

function compare(a: unknown, b: number | string): number | null {
  if (typeof a === "number" && typeof b === "number") return a - b;
  if (typeof a === "string" && typeof b === "string") return a < b ? -1 : a > b ? 1 : 0;
  return null;
}

function holds(view: EventView, p: Predicate): boolean {
  const v = view.get(p.field);
  switch (p.op) {
    case "eq":
      return (v ?? null) === p.value;
    case "neq":
      return (v ?? null) !== p.value;
    case "in":
      return p.value.includes((v ?? null) as never);
    case "nin":
      return !p.value.includes((v ?? null) as never);
    case "exists":
      return v !== undefined && v !== null;
    case "missing":
      return v === undefined || v === null;
    default: {
      const c = compare(v, p.value);
      if (c === null) return false;
      if (p.op === "gt") return c > 0;
      if (p.op === "gte") return c >= 0;
      if (p.op === "lt") return c < 0;
      return c <= 0;
    }
  }
}

/** True when the event passes the metric's filter. */
export function matchesFilter(view: EventView, filter: MetricFilter): boolean {
  if (filter.event_types && !filter.event_types.includes(view.event.event_type)) return false;
  for (const p of filter.where ?? []) if (!holds(view, p)) return false;
  return true;
}
