// Stubs of the live Durable Objects, by name; type-only imports keep `cloudflare:workers` out of
// modules that also load outside workerd (the OpenAPI document is built in Node).
import type { LiveHub } from "../../durable-objects/live-hub";
import type { WindowShard } from "../../durable-objects/window-shard";

/** The shard of `metric` in `project`. Names never collide: neither part may contain a colon. */
export function windowStub(env: Env, project: string, metric: string): DurableObjectStub<WindowShard> {
  return env.WINDOWS.get(env.WINDOWS.idFromName(`win:${project}:${metric}`));
}

/** Hub `index` of `project`'s fan-out tree (0 is the root). */
export function hubStub(env: Env, project: string, index: number): DurableObjectStub<LiveHub> {
  return env.LIVE_HUB.get(env.LIVE_HUB.idFromName(`hub:${project}:${index}`));
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
