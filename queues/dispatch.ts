// Routes each queue batch to its consumer by queue name.
import { syncIcebergAfterBatch } from "../services/iceberg/sync";
import { countDelivered } from "../services/metrics/ingest-counts";
import { flushMetrics } from "../services/metrics/recorder";
import { readConfig } from "../shared/config";
import { afterLanding, BACKGROUND_MAX_WAIT_MS, landing } from "../shared/lake/landing-first";
import { consumeDeadLetters } from "./dead-letters";
import { consumeEvents } from "./events-consumer";
import { consumeJobs } from "./jobs-consumer";
import { consumeLineage } from "./lineage";
import { consumeWebhooks } from "./webhooks";

export async function handleQueue(batch: MessageBatch<unknown>, env: Env, ctx: ExecutionContext): Promise<void> {
  countDelivered(batch.queue, batch.messages);
  // The lake writer's whole invocation, its waitUntil work included (the next batch waits for it), is
  // marked as landing: a compaction sharing this isolate waits for it (shared/lake/landing-first.ts).
  const lands = batch.queue.startsWith("tarn-events") && !batch.queue.endsWith("-dlq");
  const after = (work: Promise<unknown>) => ctx.waitUntil(lands ? landing(() => work) : work);
  await (lands ? landing(() => consumeEvents(batch, env)) : routeBatch(batch, env, ctx));
  // Flushed at once, not on the request path's one-second timer: a queue invocation is not over
  // until its waitUntil work is, and the next batch waits for it (live and SQL freshness with it).
  after(flushMetrics(env));
  // Every lake change is made by a queue consumer (ingest appends, compaction, retention, erasure):
  // once it is published, the Iceberg tables of the projects in the batch follow. After a job the
  // sync writes metadata of every current file, so like compaction it lets landing go first.
  if (batch.queue === "tarn-events") {
    after(syncIcebergAfterBatch(env, batch.messages, { intervalMs: readConfig(env).icebergSyncIntervalMs }));
  } else if (batch.queue === "tarn-jobs") {
    after(
      afterLanding(BACKGROUND_MAX_WAIT_MS).then(() => syncIcebergAfterBatch(env, batch.messages, { intervalMs: 0 })),
    );
  }
}

async function routeBatch(batch: MessageBatch<unknown>, env: Env, ctx: ExecutionContext): Promise<void> {
  if (batch.queue.endsWith("-dlq")) return consumeDeadLetters(batch, env);
  if (batch.queue.startsWith("tarn-jobs")) return consumeJobs(batch, env, { exports: ctx.exports });
  if (batch.queue === "tarn-webhooks") return consumeWebhooks(batch, env);
  if (batch.queue === "tarn-lineage") return consumeLineage(batch, env);
  console.error(JSON.stringify({ level: "error", msg: "batch from an unknown queue; retried", queue: batch.queue }));
  for (const msg of batch.messages) msg.retry({ delaySeconds: 300 });
}
