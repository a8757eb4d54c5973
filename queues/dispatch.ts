// Routes each queue batch to its consumer by queue name.

export async function handleQueue(batch: MessageBatch<unknown>, _env: Env, _ctx: ExecutionContext): Promise<void> {
  // Consumers are filled in by the ingest and jobs work; until then nothing may be dropped silently.
  for (const msg of batch.messages) msg.retry({ delaySeconds: 60 });
}
