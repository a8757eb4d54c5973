// Counters kept outside the HTTP middleware: ingest verdicts once persisted, queue deliveries, live socket closes.
import type { EventRejection } from "../../shared/events/envelope";
import { EVENTS_QUEUE_LABEL } from "./gauges";
import { flushSoon, metrics } from "./recorder";

/** Counts one request's verdicts after they were persisted (never for a request that failed whole). */
export function countAdmitted(accepted: number, messages: number, rejections: readonly EventRejection[]): void {
  metrics.inc("tarn_events_accepted_total", [], accepted);
  metrics.inc("tarn_queue_messages_sent_total", [EVENTS_QUEUE_LABEL], messages);
  for (const r of rejections) metrics.inc("tarn_events_rejected_total", [r.code]);
}

/** Counts the events-queue messages a consumer batch delivers for the first time (backlog = sent − these). */
export function countDelivered(queue: string, messages: readonly { attempts: number }[]): void {
  if (queue !== EVENTS_QUEUE_LABEL) return;
  let first = 0;
  for (const m of messages) if (m.attempts <= 1) first++;
  metrics.inc("tarn_queue_messages_delivered_total", [EVENTS_QUEUE_LABEL], first);
}

/** Counts a live WebSocket that closed or failed (opened ones are counted at the upgrade's 101). */
export function countSocketClosed(env: Pick<Env, "METRICS">, waitUntil: (p: Promise<unknown>) => void): void {
  metrics.inc("tarn_live_sockets_closed_total");
  flushSoon(env, waitUntil);
}
