// Ingest's counters: events accepted and messages sent once the queue took them, rejections by code.
import type { EventRejection } from "../../shared/events/envelope";
import { EVENTS_QUEUE_LABEL } from "./gauges";
import { metrics } from "./recorder";

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
