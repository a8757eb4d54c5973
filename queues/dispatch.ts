// Routes each queue batch to its consumer by queue name.
import { consumeDeadLetters } from "./dead-letters";
import { consumeEvents } from "./events-consumer";
import { consumeJobs } from "./jobs-consumer";
import { consumeLineage } from "./lineage";
import { consumeWebhooks } from "./webhooks";

export async function handleQueue(batch: MessageBatch<unknown>, env: Env, _ctx: ExecutionContext): Promise<void> {
  if (batch.queue.endsWith("-dlq")) return consumeDeadLetters(batch, env);
  if (batch.queue.startsWith("tarn-events")) return consumeEvents(batch, env);
  if (batch.queue.startsWith("tarn-jobs")) return consumeJobs(batch, env);
  if (batch.queue === "tarn-webhooks") return consumeWebhooks(batch, env);
  if (batch.queue === "tarn-lineage") return consumeLineage(batch, env);
  console.error(JSON.stringify({ level: "error", msg: "batch from an unknown queue; retried", queue: batch.queue }));
  for (const msg of batch.messages) msg.retry({ delaySeconds: 300 });
}
