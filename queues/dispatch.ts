// Routes each queue batch to its consumer by queue name.
import { consumeDeadLetters } from "./dead-letters";
import { consumeEvents } from "./events-consumer";

export async function handleQueue(batch: MessageBatch<unknown>, env: Env, _ctx: ExecutionContext): Promise<void> {
  if (batch.queue.endsWith("-dlq")) return consumeDeadLetters(batch, env);
  if (batch.queue.startsWith("tarn-events")) return consumeEvents(batch, env);
  // Jobs (compaction, rollups, retention) arrive with the batch-jobs work; cron ticks have nothing to run yet.
  for (const msg of batch.messages) {
    console.log(JSON.stringify({ level: "info", msg: "job tick (no jobs defined yet)", body: msg.body }));
    msg.ack();
  }
}
