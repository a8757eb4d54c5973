// The webhook deliverer: signs each alert event (HMAC-SHA256), POSTs it with a timeout, and retries
// with backoff; after the last retry the dead-letter queue keeps the message for an admin.
import { and, eq } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { webhookBreaker } from "../services/resilience/breakers";
import { liveAlertEvents, liveAlerts } from "../shared/db/live";
import { readLiveConfig } from "../shared/live/config";
import { WebhookMessage } from "../shared/live/live-rpc";
import { SIGNATURE_HEADER, signWebhook } from "../shared/live/webhook-signature";
import { WINDOW_MS, type WindowSize, WindowSizeSchema } from "../shared/live/window-size";
import { BreakerOpenError } from "../shared/resilience/circuit-breaker";
import { backoffSeconds } from "./events-consumer";

/** Deliveries per event: the first try and `max_retries` (5) more, as wrangler.toml configures. */
export const WEBHOOK_ATTEMPTS = 6;

const iso = (ms: number) => new Date(ms).toISOString();

export async function consumeWebhooks(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const { webhookTimeoutMs } = readLiveConfig(env);
  await Promise.all(batch.messages.map((m) => deliver(m, env, webhookTimeoutMs)));
}

async function deliver(message: Message<unknown>, env: Env, timeoutMs: number): Promise<void> {
  const parsed = WebhookMessage.safeParse(message.body);
  if (!parsed.success) {
    // Unreadable: retried into the dead-letter queue, where an admin can see it.
    message.retry({ delaySeconds: backoffSeconds(message.attempts) });
    return;
  }
  const db = drizzle(env.DB);
  const event = await db
    .select()
    .from(liveAlertEvents)
    .where(and(eq(liveAlertEvents.id, parsed.data.event_id), eq(liveAlertEvents.projectId, parsed.data.project)))
    .get();
  if (!event || event.delivery === "delivered") return message.ack();
  const alert = await db.select().from(liveAlerts).where(eq(liveAlerts.id, event.alertId)).get();
  if (!alert?.webhookUrl || !alert.webhookSecret) {
    await db
      .update(liveAlertEvents)
      .set({ delivery: "failed", lastError: "the alert or its webhook was deleted" })
      .where(eq(liveAlertEvents.id, event.id))
      .run();
    return message.ack();
  }
  // Quality events (failed expectations) share the alert path; their body names the dataset instead of a window.
  const quality = event.metric.startsWith("quality:");
  const size = quality ? null : WindowSizeSchema.parse(event.windowSize);
  const body = quality
    ? JSON.stringify({
        id: event.id,
        type: "quality",
        created_at: event.firedAt,
        project: event.projectId,
        alert: { id: alert.id, name: alert.name },
        dataset: event.metric.slice("quality:".length),
        score: event.value,
        ...(JSON.parse(event.reason) as Record<string, unknown>),
      })
    : alertBody(event, alert, size as WindowSize);
  let failure: string | null = null;
  let retryDelay = backoffSeconds(message.attempts);
  try {
    // The receiver's breaker: after 5 failures in a row its deliveries wait 60 s, then one probe goes out.
    await webhookBreaker(alert.webhookUrl).call(async () => {
      const res = await fetch(alert.webhookUrl as string, {
        method: "POST",
        redirect: "manual",
        signal: AbortSignal.timeout(timeoutMs),
        headers: {
          "Content-Type": "application/json",
          "User-Agent": "Tarn-Webhooks/1",
          [SIGNATURE_HEADER]: await signWebhook(alert.webhookSecret as string, body, Math.floor(Date.now() / 1000)),
          "X-Tarn-Event-Id": event.id,
          "X-Tarn-Delivery-Attempt": String(message.attempts),
        },
        body,
      });
      await res.body?.cancel();
      if (res.status < 200 || res.status > 299) throw new Error(`receiver answered ${res.status}`);
    });
  } catch (err) {
    if (err instanceof BreakerOpenError) {
      failure = "the receiver's circuit breaker is open (5 failures in a row); retried after it";
      retryDelay = Math.max(retryDelay, err.retryAfterSeconds);
    } else if (err instanceof Error && err.name === "TimeoutError") failure = `no answer within ${timeoutMs} ms`;
    else failure = err instanceof Error ? err.message : String(err);
  }
  const last = message.attempts >= WEBHOOK_ATTEMPTS;
  await db
    .update(liveAlertEvents)
    .set(
      failure === null
        ? { delivery: "delivered", attempts: message.attempts, lastError: null, deliveredAt: new Date().toISOString() }
        : { delivery: last ? "failed" : "pending", attempts: message.attempts, lastError: failure.slice(0, 500) },
    )
    .where(eq(liveAlertEvents.id, event.id))
    .run();
  if (failure === null) message.ack();
  else message.retry({ delaySeconds: retryDelay });
}

function alertBody(
  event: typeof liveAlertEvents.$inferSelect,
  alert: typeof liveAlerts.$inferSelect,
  size: WindowSize,
): string {
  return JSON.stringify({
    id: event.id,
    type: `alert.${event.status}`,
    created_at: event.firedAt,
    project: event.projectId,
    alert: { id: alert.id, name: alert.name, metric: alert.metric, value: alert.value, condition: alert.condition },
    window: { start: iso(event.windowStart), end: iso(event.windowStart + WINDOW_MS[size]), size },
    value: event.value,
    expected: event.expected,
    score: event.score,
    reason: event.reason,
  });
}
