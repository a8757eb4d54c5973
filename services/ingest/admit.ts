// The edge's verdict for a request's events, for every ingest route (/v1/events, Segment's): envelope
// verdicts, rejected events to the quarantine, accepted ones to the queue, all or nothing.
import { acceptEvent, type EdgeContext } from "../../shared/events/accept-event";
import type { EventRejection } from "../../shared/events/envelope";
import type { PackLimits } from "../../shared/events/pack";
import type { QueuedEvent } from "../../shared/events/queue-message";
import type { RawItem } from "../../shared/events/read-events";
import { countAdmitted } from "../metrics/ingest-counts";
import { enqueueEvents } from "./enqueue";
import { quarantine } from "./quarantine";

export interface EdgeOptions {
  packLimits: PackLimits;
}

export interface Receipt {
  accepted: number;
  rejected: number;
  errors: EventRejection[];
}

/**
 * Judges every item (shared/events/accept-event), quarantines the rejected ones and queues the
 * accepted ones durably; the receipt is what the route answers. Quarantine comes first: if the
 * queue then refuses, the request fails whole (503) and the quarantine object is removed, so a
 * retried request is not quarantined twice. Counts the verdicts once they are persisted.
 */
export async function admitEvents(
  env: Pick<Env, "LAKE" | "EVENTS_QUEUE">,
  projectId: string,
  items: RawItem[],
  edge: EdgeContext,
  options: EdgeOptions,
): Promise<Receipt> {
  const accepted: QueuedEvent[] = [];
  const rejected: { rejection: EventRejection; item: RawItem }[] = [];
  items.forEach((item, index) => {
    const verdict = acceptEvent(item, index, edge);
    if (verdict.ok) accepted.push(verdict.event);
    else rejected.push({ rejection: verdict.rejection, item });
  });
  const quarantineKey =
    rejected.length > 0 ? await quarantine(env.LAKE, projectId, edge.requestId, edge.receivedAt, rejected) : undefined;
  let messages = 0;
  if (accepted.length > 0) {
    try {
      messages = (await enqueueEvents(env, projectId, edge.requestId, accepted, options.packLimits)).messages;
    } catch (err) {
      if (quarantineKey) await env.LAKE.delete(quarantineKey).catch(() => {});
      throw err;
    }
  }
  const errors = rejected.map((r) => r.rejection);
  countAdmitted(accepted.length, messages, errors);
  return { accepted: accepted.length, rejected: rejected.length, errors };
}
