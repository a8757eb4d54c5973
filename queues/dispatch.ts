// Routes each queue batch to its consumer by queue name.
import { syncIcebergAfterBatch } from "../services/iceberg/sync";
import { countDelivered } from "../services/metrics/ingest-counts";
import { flushMetrics } from "../services/metrics/recorder";
import { readConfig } from "../shared/config";
import { landing } from "../shared/lake/landing-first";
import { consumeDeadLetters } from "./dead-letters";
import { consumeEvents } from "./events-consumer";
import { consumeJobs } from "./jobs-consumer";
import { consumeLineage } from "./lineage";
import { consumeWebhooks } from "./webhooks";

export async function handleQueue(batch: MessageBatch<unknown>, env: Env, ctx: ExecutionContext): Promise<void> {
  countDelivered(batch.queue, batch.messages);
  await routeBatch(batch, env, ctx);
  // Flushed at once, not on the request path's one-second timer: a queue invocation is not over
  // until its waitUntil work is, and the next batch waits for it (live and SQL freshness with it).
  ctx.waitUntil(flushMetrics(env));
  // Every lake change is made by a queue consumer (ingest appends, compaction, retention, erasure):
  // once it is published, the Iceberg tables of the projects in the batch follow.
  const changesLake = /^tarn-(events|jobs)$/.test(batch.queue);
  if (changesLake) {
    const intervalMs = batch.queue.startsWith("tarn-events") ? readConfig(env).icebergSyncIntervalMs : 0;
    ctx.waitUntil(syncIcebergAfterBatch(env, batch.messages, { intervalMs }));
  }
}

async function routeBatch(batch: MessageBatch<unknown>, env: Env, ctx: ExecutionContext): Promise<void> {
  if (batch.queue.endsWith("-dlq")) return consumeDeadLetters(batch, env);
  // Marked in flight so a compaction sharing this isolate waits for it (shared/lake/landing-first.ts).
  if (batch.queue.startsWith("tarn-events")) return landing(() => consumeEvents(batch, env));
  if (batch.queue.startsWith("tarn-jobs")) return consumeJobs(batch, env, { exports: ctx.exports });
  if (batch.queue === "tarn-webhooks") return consumeWebhooks(batch, env);
  if (batch.queue === "tarn-lineage") return consumeLineage(batch, env);
  console.error(JSON.stringify({ level: "error", msg: "batch from an unknown queue; retried", queue: batch.queue }));
  for (const msg of batch.messages) msg.retry({ delaySeconds: 300 });
}
