// Dead-letter redrive: a kept message goes back through the queue it died on, once.
import { and, eq, isNull } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { deadLetters } from "../../shared/db/lake";

/** Dead-letter queue → the queue whose consumer should see the message again. */
const SOURCE_QUEUE: Record<string, "EVENTS_QUEUE" | "JOBS_QUEUE" | "WEBHOOKS_QUEUE"> = {
  "tarn-events-dlq": "EVENTS_QUEUE",
  "tarn-jobs-dlq": "JOBS_QUEUE",
  "tarn-webhooks-dlq": "WEBHOOKS_QUEUE",
};

/**
 * Sends each dead letter back to its source queue. A row is claimed (`redriven_at` set only where
 * it is still null) before sending, so two concurrent redrives send it once; if the send fails
 * the claim is undone. Events inside keep their ids, so the lake writer's dedupe lands each once
 * even when part of the message had landed before it died.
 */
export async function redriveDeadLetters(
  env: Pick<Env, "DB" | "EVENTS_QUEUE" | "JOBS_QUEUE" | "WEBHOOKS_QUEUE">,
  projectId: string,
  ids: string[],
): Promise<{ redriven: number; errors: { id: string; message: string }[] }> {
  const d = drizzle(env.DB);
  const errors: { id: string; message: string }[] = [];
  let redriven = 0;
  for (const id of [...new Set(ids)]) {
    const row = await d
      .select()
      .from(deadLetters)
      .where(and(eq(deadLetters.id, id), eq(deadLetters.projectId, projectId)))
      .get();
    if (!row) {
      errors.push({ id, message: "no such dead letter in this project" });
      continue;
    }
    const target = SOURCE_QUEUE[row.queue];
    if (!target) {
      errors.push({ id, message: `messages of ${row.queue} cannot be redriven` });
      continue;
    }
    let body: unknown;
    try {
      body = JSON.parse(row.body);
    } catch {
      errors.push({ id, message: "the kept body is not complete JSON (it was over 64 KB); it cannot be redriven" });
      continue;
    }
    const claimedAt = new Date().toISOString();
    const claim = await d
      .update(deadLetters)
      .set({ redrivenAt: claimedAt })
      .where(and(eq(deadLetters.id, id), isNull(deadLetters.redrivenAt)))
      .returning({ id: deadLetters.id })
      .get();
    if (!claim) {
      errors.push({ id, message: `already redriven at ${row.redrivenAt ?? "a moment ago"}` });
      continue;
    }
    try {
      // Events messages travel as text (the consumer parses both); jobs and webhooks as JSON.
      if (target === "EVENTS_QUEUE") await env.EVENTS_QUEUE.send(row.body, { contentType: "text" });
      else await env[target].send(body);
      redriven++;
    } catch (err) {
      await d.update(deadLetters).set({ redrivenAt: null }).where(eq(deadLetters.id, id)).run();
      errors.push({ id, message: `the queue refused it (${String(err).slice(0, 100)}); retry` });
    }
  }
  return { redriven, errors };
}
