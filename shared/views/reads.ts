// Which lake files a view reads: what makes it stale, and what an incremental refresh recomputes.
import { EVENT_LAYERS, type Layer } from "../lake/partition";

export interface ViewInputs {
  name: string;
  /** Tables the SELECT reads: event types, `events` (every event type), uploads, other views. */
  dependsOn: readonly string[];
}

/** Does a manifest file belong to a table the view reads? `events` reads every event type. */
export function readsFile(view: ViewInputs, f: { dataset: string; layer: Layer }): boolean {
  if (f.dataset === view.name) return false;
  return view.dependsOn.includes(f.dataset) || (EVENT_LAYERS.includes(f.layer) && view.dependsOn.includes("events"));
}
