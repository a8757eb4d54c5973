// Turns queue messages into events, checking every body at this trust boundary.
import { eventFromTuple } from "../shared/events/event-tuple";
import { EventsMessage, EventsMessageV2, QueuedEvent, type StagedRange } from "../shared/events/queue-message";

export interface DecodedMessage {
  message: Message<unknown>;
  project: string;
  events: QueuedEvent[];
}

export type DecodeResult =
  | { ok: true; decoded: DecodedMessage }
  | { ok: false; message: Message<unknown>; reason: string };

async function stagedLines(lake: R2Bucket, staged: StagedRange): Promise<unknown[]> {
  const object = await lake.get(staged.key, { range: { offset: staged.offset, length: staged.length } });
  if (!object) throw new Error(`staged object ${staged.key} is missing`);
  const text = await object.text();
  return text
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l));
}

/** Version 2 events (positional arrays); the first bad one names its index and field. */
function tuplesToEvents(tuples: unknown[]): QueuedEvent[] | string {
  const events: QueuedEvent[] = new Array(tuples.length);
  for (let i = 0; i < tuples.length; i++) {
    const event = eventFromTuple(tuples[i]);
    if (typeof event === "string") return `event ${i}: ${event}`;
    events[i] = event;
  }
  return events;
}

async function decodeV2(lake: R2Bucket, message: Message<unknown>, body: unknown): Promise<DecodeResult> {
  const parsed = EventsMessageV2.safeParse(body);
  if (!parsed.success) return { ok: false, message, reason: `malformed message: ${parsed.error.issues[0]?.message}` };
  const data = parsed.data;
  let tuples: unknown[];
  if ("events" in data) tuples = data.events;
  else {
    try {
      tuples = await stagedLines(lake, data.staged);
    } catch (err) {
      return { ok: false, message, reason: `staged events unreadable: ${String(err).slice(0, 200)}` };
    }
  }
  const events = tuplesToEvents(tuples);
  if (typeof events === "string") return { ok: false, message, reason: `malformed message: ${events}` };
  return { ok: true, decoded: { message, project: data.project, events } };
}

/** Decodes one message; a malformed one is reported, never thrown, so the rest of the batch proceeds. */
export async function decodeMessage(lake: R2Bucket, message: Message<unknown>): Promise<DecodeResult> {
  let body: unknown = message.body;
  if (typeof body === "string") {
    // The edge sends its JSON as text (built from the lines it already serialized).
    try {
      body = JSON.parse(body);
    } catch {
      return { ok: false, message, reason: "malformed message: not JSON" };
    }
  }
  if (typeof body === "object" && body !== null && (body as { v?: unknown }).v === 2) {
    return decodeV2(lake, message, body);
  }
  const parsed = EventsMessage.safeParse(body);
  if (!parsed.success) return { ok: false, message, reason: `malformed message: ${parsed.error.issues[0]?.message}` };
  const data = parsed.data;
  if ("events" in data) return { ok: true, decoded: { message, project: data.project, events: data.events } };
  try {
    const events = (await stagedLines(lake, data.staged)).map((line) => QueuedEvent.parse(line));
    return { ok: true, decoded: { message, project: data.project, events } };
  } catch (err) {
    return { ok: false, message, reason: `staged events unreadable: ${String(err).slice(0, 200)}` };
  }
}
