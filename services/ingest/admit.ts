// The edge's whole verdict for a request's events, for every ingest route (/v1/events, Segment's):
// envelope, then the event type's contract; rejected events to the quarantine, accepted ones to the queue.

import { acceptEvent, type EdgeContext } from "../../shared/events/accept-event";
import type { EventRejection } from "../../shared/events/envelope";
import type { PackLimits } from "../../shared/events/pack";
import type { QueuedEvent } from "../../shared/events/queue-message";
import { type RawItem, rawText } from "../../shared/events/read-events";
import { countAdmitted } from "../metrics/ingest-counts";
import { type ContractOutcome, checkContracts, type IndexedEvent } from "./check-contracts";
import { enqueueEvents } from "./enqueue";
import { quarantine, type Rejected, unquarantine } from "./quarantine";

export interface EdgeOptions {
  /** How long this isolate trusts its view of the project's contracts (ms). */
  contractTtlMs: number;
  waitUntil: (p: Promise<unknown>) => void;
}

export interface Judged {
  accepted: QueuedEvent[];
  rejected: Rejected[];
  warnings: ContractOutcome["warnings"];
}

function claimedId(item: RawItem): string | null {
  const v = item.value as { eventId?: unknown } | undefined;
  return v && typeof v === "object" && typeof v.eventId === "string" && v.eventId !== ""
    ? v.eventId.slice(0, 200)
    : null;
}

/** data.payload of an envelope-valid item, as parsed from the request. */
function payloadOf(item: RawItem): unknown {
  const data = (item.value as { data?: { payload?: unknown } } | undefined)?.data;
  return data?.payload;
}

function claimedType(item: RawItem): string | null {
  const v = item.value as { eventType?: unknown } | undefined;
  return v && typeof v === "object" && typeof v.eventType === "string" ? v.eventType.slice(0, 128) : null;
}

/**
 * Every event's verdict, without side effects: the envelope (shared/events/accept-event), then the
 * contract in force for its type. Rejections are in request order and carry the event id the event
 * had or was given, so a replay lands it under that id.
 */
export async function judgeEvents(
  env: Pick<Env, "DB">,
  projectId: string,
  items: RawItem[],
  edge: EdgeContext,
  options: EdgeOptions,
): Promise<Judged> {
  const valid: IndexedEvent[] = [];
  const rejected: Rejected[] = [];
  items.forEach((item, index) => {
    const verdict = acceptEvent(item, index, edge);
    if (verdict.ok) valid.push({ index, event: verdict.event, payload: payloadOf(item) });
    else
      rejected.push({
        rejection: verdict.rejection,
        raw: rawText(item),
        eventType: claimedType(item),
        eventId: claimedId(item) ?? edge.newId(),
      });
  });
  const checked = await checkContracts(env, projectId, valid, {
    ttlMs: options.contractTtlMs,
    waitUntil: options.waitUntil,
  });
  for (const r of checked.rejected) {
    const item = items[r.index] as RawItem;
    rejected.push({
      rejection: r.rejection,
      raw: rawText(item),
      eventType: r.event.event_type,
      eventId: r.event.event_id,
    });
  }
  rejected.sort((a, b) => a.rejection.index - b.rejection.index);
  return { accepted: checked.accepted.map((a) => a.event), rejected, warnings: checked.warnings };
}

export interface Receipt {
  accepted: number;
  rejected: number;
  errors: EventRejection[];
  warnings?: ContractOutcome["warnings"];
}

/**
 * Judges, quarantines the rejected events, and queues the accepted ones durably; the receipt is
 * what the route answers. Quarantine comes first: if the queue then refuses, the request fails whole
 * (503) and its quarantine entries are removed, so a retried request is not quarantined twice.
 * Counts the verdicts (GET /metrics) once they are persisted.
 */
export async function admitEvents(
  env: Pick<Env, "DB" | "LAKE" | "EVENTS_QUEUE">,
  projectId: string,
  items: RawItem[],
  edge: EdgeContext,
  options: EdgeOptions & { packLimits: PackLimits },
): Promise<Receipt> {
  const judged = await judgeEvents(env, projectId, items, edge, options);
  const quarantined =
    judged.rejected.length > 0
      ? await quarantine(env, projectId, edge.requestId, edge.receivedAt, judged.rejected)
      : undefined;
  let messages = 0;
  if (judged.accepted.length > 0) {
    try {
      messages = (await enqueueEvents(env, projectId, edge.requestId, judged.accepted, options.packLimits)).messages;
    } catch (err) {
      if (quarantined) await unquarantine(env, quarantined);
      throw err;
    }
  }
  const errors = judged.rejected.map((r) => r.rejection);
  countAdmitted(judged.accepted.length, messages, errors);
  return {
    accepted: judged.accepted.length,
    rejected: judged.rejected.length,
    errors,
    ...(judged.warnings.length > 0 ? { warnings: judged.warnings } : {}),
  };
}
