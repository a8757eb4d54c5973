// Persists one request's verdicts (every ingest route): rejected events to the quarantine, accepted ones to the queue, all or nothing.
import type { EventRejection } from "../../shared/events/envelope";
import type { PackLimits } from "../../shared/events/pack";
import type { QueuedEvent } from "../../shared/events/queue-message";
import type { RawItem } from "../../shared/events/read-events";
import { countAdmitted } from "../metrics/ingest-counts";
import { enqueueEvents } from "./enqueue";
import { quarantine } from "./quarantine";

export interface Verdicts {
  accepted: QueuedEvent[];
  rejected: { rejection: EventRejection; item: RawItem }[];
}

/**
 * Quarantine first: if the queue then refuses, the request fails whole (503 from `enqueueEvents`)
 * and the quarantine object is removed, so a retried request is not quarantined twice.
 */
export async function admitEvents(
  env: Pick<Env, "EVENTS_QUEUE" | "LAKE">,
  projectId: string,
  requestId: string,
  receivedAt: number,
  verdicts: Verdicts,
  limits: PackLimits,
): Promise<void> {
  const { accepted, rejected } = verdicts;
  const quarantineKey =
    rejected.length > 0 ? await quarantine(env.LAKE, projectId, requestId, receivedAt, rejected) : undefined;
  let messages = 0;
  if (accepted.length > 0) {
    try {
      messages = (await enqueueEvents(env, projectId, requestId, accepted, limits)).messages;
    } catch (err) {
      if (quarantineKey) await env.LAKE.delete(quarantineKey).catch(() => {});
      throw err;
    }
  }
  countAdmitted(
    accepted.length,
    messages,
    rejected.map((r) => r.rejection),
  );
}
