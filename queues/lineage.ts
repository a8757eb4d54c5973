// The lineage forwarder: POSTs each stored OpenLineage event to LINEAGE_URL, retried with backoff;
// after the last retry the dead-letter queue keeps the message for an admin.
import { and, eq } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { readConfig } from "../shared/config";
import { lineageEvents } from "../shared/db/contracts";
import { backoffSeconds } from "./events-consumer";

const TIMEOUT_MS = 10_000;

function parse(body: unknown): { project: string; id: number } | null {
  const b = body as { project?: unknown; id?: unknown } | null;
  return b && typeof b.project === "string" && typeof b.id === "number" ? { project: b.project, id: b.id } : null;
}

export async function consumeLineage(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const url = readConfig(env).lineageUrl;
  const db = drizzle(env.DB);
  for (const message of batch.messages) {
    const m = parse(message.body);
    if (!m || !url) {
      // Nothing to deliver to (the URL was unset meanwhile) or an unreadable message.
      message.ack();
      continue;
    }
    const where = and(eq(lineageEvents.id, m.id), eq(lineageEvents.projectId, m.project));
    const row = await db
      .select({ body: lineageEvents.body, forwardedAt: lineageEvents.forwardedAt })
      .from(lineageEvents)
      .where(where)
      .get();
    if (!row || (row.forwardedAt !== null && row.forwardedAt !== "queued")) {
      message.ack();
      continue;
    }
    try {
      const res = await fetch(url, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: row.body,
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
      await res.body?.cancel();
      if (!res.ok) throw new Error(`LINEAGE_URL answered ${res.status}`);
      await db.update(lineageEvents).set({ forwardedAt: new Date().toISOString() }).where(where).run();
      message.ack();
    } catch (err) {
      console.error(
        JSON.stringify({ level: "warn", msg: "lineage event not delivered; retried", id: m.id, error: String(err) }),
      );
      message.retry({ delaySeconds: backoffSeconds(message.attempts) });
    }
  }
}
