// What crosses the live Durable Objects' boundaries: window shard RPC, hub publishes, the socket
// hand-off headers and the webhook queue's message. Entries on both sides import these, never each other.
import { z } from "zod";
import type { ServerFrame } from "./frames";
import { StoredMetricSchema } from "./metric-def";
import { WindowPartial } from "./partials";
import type { renderWindow } from "./render";
import type { WindowSize } from "./window-size";

/** One consumer batch's partials for this shard; `commitId` makes a repeated call harmless. */
export const ApplyBatchSchema = z.object({
  commitId: z.string().min(1).max(128),
  project: z.string().min(1).max(64),
  metric: StoredMetricSchema,
  windows: z.array(WindowPartial),
});
export type ApplyBatch = z.input<typeof ApplyBatchSchema>;

export interface ApplyResult {
  /** False when the commit was applied before, or the metric was deleted. */
  applied: boolean;
  windows: number;
  corrections: number;
  /** Events older than the shard keeps windows for (they are in the lake, not in live windows). */
  tooLate: number;
}

export interface ShardWindow {
  window: { start: string; end: string; size: WindowSize };
  data: ReturnType<typeof renderWindow>;
  final: boolean;
  rev: number;
}

/** A frame and the subscription keys whose sockets get it. */
export interface Published {
  keys: string[];
  frame: ServerFrame;
}

/** Headers the Worker sets when it hands an authenticated socket to a hub. */
export const CONNECT_HEADERS = {
  project: "X-Tarn-Project",
  hub: "X-Tarn-Hub",
  key: "X-Tarn-Key-Id",
  subscribe: "X-Tarn-Subscribe",
} as const;

/** Initial subscriptions given on the upgrade URL; each becomes a socket tag (at most 10 tags a socket). */
export const MAX_TAGGED_SUBSCRIPTIONS = 8;

/** Webhook queue message: names the alert event; the consumer reads the rest from D1. */
export const WebhookMessage = z.object({ v: z.literal(1), event_id: z.string(), project: z.string() });
export type WebhookMessage = z.infer<typeof WebhookMessage>;
