// The MetricsShard stub by index; its type comes from the generated Env.

/** Metrics shard `index` (of METRICS_SHARDS); each isolate flushes to one shard, chosen by its id. */
export function metricsShardStub(env: Pick<Env, "METRICS">, index: number) {
  return env.METRICS.get(env.METRICS.idFromName(`metrics-${index}`));
}
