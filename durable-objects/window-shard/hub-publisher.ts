// A window shard's sends to its project's root hub, coalesced: at most one call per interval, carrying
// the newest frame of each window. A shard then sends ~10 calls a second however many consumer batches
// arrive, and a busy project's root hub stays far below a Durable Object's ~1,000 requests/s.

import { hubStub } from "../../services/stubs/live-hub";
import type { ServerFrame } from "../../shared/live/frames";
import type { Published } from "../../shared/live/live-rpc";

/** The least time between two sends of one shard to its hub. */
export const PUBLISH_INTERVAL_MS = 100;

export class HubPublisher {
  /** Frames waiting for the next send: a cache; losing it loses notifications, never window state. */
  private readonly pending = new Map<string, Published>();
  private timer: ReturnType<typeof setTimeout> | null = null;
  private last = 0;
  private seq = 0;

  constructor(
    private readonly env: Env,
    private readonly project: () => string | null,
  ) {}

  /** Sends now when the last send is an interval old, else with the next send. */
  async publish(items: Published[]): Promise<void> {
    for (const item of items) {
      const f = item.frame;
      const windowed = f.type === "update" || f.type === "correction";
      const key = windowed ? `w|${f.window.size}|${f.window.start}` : `x|${this.seq++}`;
      // A window corrected since the last send stays a correction, whatever frame of it comes next.
      const corrected = this.pending.get(key)?.frame.type === "correction" && f.type === "update";
      this.pending.set(key, corrected ? { ...item, frame: { ...f, type: "correction" } } : item);
    }
    if (this.timer !== null) return;
    const wait = this.last + PUBLISH_INTERVAL_MS - Date.now();
    if (wait <= 0) return this.flush();
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.flush();
    }, wait);
  }

  private async flush(): Promise<void> {
    const project = this.project();
    const items = [...this.pending.values()];
    this.pending.clear();
    this.last = Date.now();
    if (!project || items.length === 0) return;
    try {
      await hubStub(this.env, project, 0).publish(project, items as { keys: string[]; frame: ServerFrame }[]);
    } catch (err) {
      // The windows are stored; a dashboard catches up on the next update or its next subscribe.
      console.error(JSON.stringify({ level: "error", msg: "live publish failed", project, error: String(err) }));
    }
  }
}
