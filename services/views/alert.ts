// A view whose refresh failed for good raises an alert through the project's existing webhooks: an
// alert event per alert rule with a webhook (metric `view:<name>`, reason naming the view and the
// error), delivered, signed and retried by the webhooks queue like any alert.
import { and, eq, isNotNull } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { liveAlertEvents, liveAlerts } from "../../shared/db/live";
import { newId } from "../../shared/ids";
import type { WebhookMessage } from "../../shared/live/live-rpc";

const HOUR_MS = 3_600_000;

export async function raiseViewAlert(
  env: Pick<Env, "DB" | "WEBHOOKS_QUEUE">,
  projectId: string,
  view: string,
  error: string,
): Promise<number> {
  const d = drizzle(env.DB);
  const rules = await d
    .select({ id: liveAlerts.id })
    .from(liveAlerts)
    .where(and(eq(liveAlerts.projectId, projectId), isNotNull(liveAlerts.webhookUrl)))
    .all();
  const now = Date.now();
  let sent = 0;
  for (const rule of rules) {
    const id = newId("alt");
    try {
      await d
        .insert(liveAlertEvents)
        .values({
          id,
          projectId,
          alertId: rule.id,
          metric: `view:${view}`,
          status: "firing",
          windowSize: "1h",
          // The hour of the failure: one alert per rule, view failure and hour.
          windowStart: Math.floor(now / HOUR_MS) * HOUR_MS,
          reason: `view ${view} refresh failed; the previous version stays readable: ${error}`.slice(0, 1000),
          delivery: "pending",
        })
        .onConflictDoNothing()
        .run();
      await env.WEBHOOKS_QUEUE.send({ v: 1, event_id: id, project: projectId } satisfies WebhookMessage);
      sent++;
    } catch (err) {
      console.error(JSON.stringify({ level: "error", msg: "view alert not raised", view, error: String(err) }));
    }
  }
  return sent;
}
