// The dead-letter consumer: keeps every message that exhausted its retries in D1 for an admin.
import { drizzle } from "drizzle-orm/d1";
import { deadLetters } from "../shared/db/lake";

const BODY_CAP = 64 * 1024;

function describe(body: unknown): { projectId: string | null; events: number | null } {
  if (body && typeof body === "object") {
    const b = body as { project?: unknown; events?: unknown };
    return {
      projectId: typeof b.project === "string" ? b.project : null,
      events: Array.isArray(b.events) ? b.events.length : null,
    };
  }
  return { projectId: null, events: null };
}

export async function consumeDeadLetters(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const db = drizzle(env.DB);
  for (const message of batch.messages) {
    const { projectId, events } = describe(message.body);
    let body: string;
    try {
      body = JSON.stringify(message.body) ?? "null";
    } catch {
      body = String(message.body);
    }
    await db
      .insert(deadLetters)
      .values({
        id: `dlq_${message.id}`,
        projectId,
        queue: batch.queue,
        messageId: message.id,
        attempts: message.attempts,
        body: body.slice(0, BODY_CAP),
        events,
      })
      .onConflictDoNothing()
      .run();
    message.ack();
  }
}
