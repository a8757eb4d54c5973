// This isolate's metrics and their flush: counts go to memory; one RPC a second at most carries them to a MetricsShard.
import { type MetricsDelta, MetricsRegistry, mergeDelta } from "../../shared/metrics/registry";
import { metricsShardStub } from "../stubs/metrics-shard";

/** Counters and histograms of this isolate since its last flush. Label values must be bounded. */
export const metrics = new MetricsRegistry();

type MetricsEnv = Pick<Env, "METRICS"> & { METRICS_SHARDS?: string; METRICS_FLUSH_MS?: string };

/** Most deltas kept for a shard that does not answer; past it the oldest is dropped (and logged). */
const MAX_UNACKED = 64;

/** Made on first use: Workers allow no random values at global scope. */
let isolateId = "";
let nextSeq = 1;
/** Numbered deltas not yet acknowledged by the shard, oldest first: resent with the same numbers. */
const unacked: { seq: number; delta: MetricsDelta }[] = [];
let scheduled: Promise<void> | null = null;

function setting(raw: string | undefined, fallback: number): number {
  const n = Number(raw);
  return Number.isInteger(n) && n > 0 ? n : fallback;
}

/** The shard this isolate writes to: fixed per isolate, spread by its random id. */
function shardIndex(env: MetricsEnv): number {
  isolateId ||= crypto.randomUUID();
  let h = 0;
  for (let i = 0; i < isolateId.length; i++) h = (h * 31 + isolateId.charCodeAt(i)) >>> 0;
  return h % setting(env.METRICS_SHARDS, 4);
}

/** Sends what was counted, and anything unacknowledged before it, in order. */
export async function flushMetrics(env: MetricsEnv): Promise<void> {
  if (metrics.pending) {
    unacked.push({ seq: nextSeq++, delta: metrics.drain() });
    if (unacked.length > MAX_UNACKED) {
      const dropped = unacked.shift();
      console.error(
        JSON.stringify({ level: "error", msg: "metrics delta dropped; its shard did not answer", seq: dropped?.seq }),
      );
    }
  }
  const stub = metricsShardStub(env, shardIndex(env));
  while (unacked.length > 0) {
    const head = unacked[0] as { seq: number; delta: MetricsDelta };
    try {
      await stub.apply(isolateId, head.seq, head.delta);
    } catch (err) {
      console.error(
        JSON.stringify({ level: "warn", msg: "metrics flush failed; kept for the next one", error: String(err) }),
      );
      return;
    }
    unacked.shift();
  }
}

/**
 * Called after each request: when something is pending and no flush is scheduled, schedules one
 * `METRICS_FLUSH_MS` (default 1000) later under `waitUntil`. Every request in that window only adds
 * to memory, so an isolate makes at most one shard RPC a second, and nothing counted is left behind:
 * a count made after the scheduled flush drained schedules the next one.
 */
export function flushSoon(env: MetricsEnv, waitUntil: (p: Promise<unknown>) => void): void {
  if (scheduled || (!metrics.pending && unacked.length === 0)) return;
  const delay = setting(env.METRICS_FLUSH_MS, 1000);
  scheduled = new Promise<void>((resolve) => setTimeout(resolve, delay))
    .then(() => flushMetrics(env))
    .finally(() => {
      scheduled = null;
    });
  waitUntil(scheduled);
}

/** Counters and histograms summed over every shard (this isolate's pending counts flushed first). */
export async function collectTotals(env: MetricsEnv): Promise<MetricsDelta> {
  await flushMetrics(env);
  const shards = setting(env.METRICS_SHARDS, 4);
  const all = await Promise.all(Array.from({ length: shards }, (_, i) => metricsShardStub(env, i).totals()));
  return all.reduce((into, from) => mergeDelta(into, from as MetricsDelta), { counters: {}, histograms: {} });
}
