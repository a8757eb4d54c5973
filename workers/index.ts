// The one Worker: fetch (Hono app), queue consumers, cron, and the Durable Object classes.
import { handleQueue } from "../queues/dispatch";
import { createApp } from "./app";
import { handleScheduled } from "./scheduled";

export { AuditLog } from "../durable-objects/audit-log/index";
export { DedupeShard } from "../durable-objects/dedupe-shard/index";
export { LiveHub } from "../durable-objects/live-hub/index";
export { MetricsShard } from "../durable-objects/metrics-shard/index";
export { RateLimiter } from "../durable-objects/rate-limiter/index";
export { WindowShard } from "../durable-objects/window-shard/index";
export { QuerySplit } from "./query-split";

const app = createApp();

export default {
  fetch: (request, env, ctx) => app.fetch(request, env, ctx),
  queue: (batch, env, ctx) => handleQueue(batch, env, ctx),
  scheduled: (controller, env) => handleScheduled(controller, env),
} satisfies ExportedHandler<Env>;
