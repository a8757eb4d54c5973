// The dead-letter consumer: keeps every message that exhausted its retries in D1 for an admin.
import { eq } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { jobs } from "../shared/db/jobs";
import { deadLetters } from "../shared/db/lake";
import { JobMessageSchema } from "../shared/job-message";

const BODY_CAP = 64 * 1024;

/** Whose message it was and how many events it carried, as far as the body tells. */
function describe(raw: unknown): { projectId: string | null; events: number | null } {
  let body = raw;
  if (typeof raw === "string") {
    try {
      body = JSON.parse(raw);
    } catch {
      return { projectId: null, events: null };
    }
  }
  if (body && typeof body === "object") {
    // Event messages and job messages both name their project in `project`.
    const b = body as { project?: unknown; events?: unknown };
    return {
      projectId: typeof b.project === "string" ? b.project : null,
      events: Array.isArray(b.events) ? b.events.length : null,
    };
  }
  return { projectId: null, events: null };
}

/** A job message queued before messages named their project: the job row knows it. */
async function projectOfJob(db: D1Database, body: unknown): Promise<string | null> {
  const parsed = JobMessageSchema.safeParse(body);
  if (!parsed.success) return null;
  const row = await drizzle(db)
    .select({ projectId: jobs.projectId })
    .from(jobs)
    .where(eq(jobs.id, parsed.data.job_id))
    .get();
  return row?.projectId ?? null;
}

export async function consumeDeadLetters(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const db = drizzle(env.DB);
  for (const message of batch.messages) {
    const described = describe(message.body);
    const events = described.events;
    const projectId = described.projectId ?? (await projectOfJob(env.DB, message.body));
    let body: string;
    try {
      // Text bodies (the edge sends its JSON as text) are kept as they came.
      body = typeof message.body === "string" ? message.body : (JSON.stringify(message.body) ?? "null");
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
