// Queue message bodies between the edge and the lake writer: a trust boundary, so zod-checked.
import { z } from "zod";
import { EventTypeSchema } from "./envelope";

const nullableText = z.string().nullable();

/** One accepted, enriched event as it travels to the lake writer (the lake row's fields). */
export const QueuedEvent = z.object({
  event_id: z.string().min(1),
  event_type: EventTypeSchema,
  ts: z.number().int(),
  received_at: z.number().int(),
  user_id: nullableText,
  session_id: nullableText,
  correlation_id: nullableText,
  source: nullableText,
  version: nullableText,
  environment: nullableText,
  region: nullableText,
  request_id: nullableText,
  country: nullableText,
  colo: nullableText,
  payload: nullableText,
  metadata: nullableText,
});
export type QueuedEvent = z.infer<typeof QueuedEvent>;

/** A project id as the edge writes it into every message. */
const ProjectId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/);

/** Events inline in the message. */
const InlineBody = z.object({
  v: z.literal(1),
  project: ProjectId,
  request_id: z.string(),
  events: z.array(QueuedEvent).min(1),
});

const StagedRange = z.object({
  key: z.string().min(1),
  offset: z.number().int().min(0),
  length: z.number().int().min(1),
});
export type StagedRange = z.infer<typeof StagedRange>;

/** Events staged in R2 (large requests): the message names a byte range of an NDJSON object. */
const StagedBody = z.object({
  v: z.literal(1),
  project: ProjectId,
  request_id: z.string(),
  staged: StagedRange,
});

/** Version 1 (keyed event objects); still read, so messages queued before an upgrade land. */
export const EventsMessage = z.union([InlineBody, StagedBody]);
export type EventsMessage = z.infer<typeof EventsMessage>;
export type InlineEventsMessage = z.infer<typeof InlineBody>;

/**
 * What the edge sends now: version 2, each event a positional array (./event-tuple.ts), inline or
 * as NDJSON lines of arrays staged in R2. The events themselves are checked by eventFromTuple.
 */
export const EventsMessageV2 = z.union([
  z.object({
    v: z.literal(2),
    project: ProjectId,
    request_id: z.string(),
    events: z.array(z.unknown()).min(1),
  }),
  z.object({
    v: z.literal(2),
    project: ProjectId,
    request_id: z.string(),
    staged: StagedRange,
  }),
]);
