// Turns queue messages into events, checking every body at this trust boundary.
import { EventsMessage, QueuedEvent } from "../shared/events/queue-message";

export interface DecodedMessage {
  message: Message<unknown>;
  project: string;
  events: QueuedEvent[];
}

export type DecodeResult =
  | { ok: true; decoded: DecodedMessage }
  | { ok: false; message: Message<unknown>; reason: string };

async function stagedEvents(lake: R2Bucket, staged: { key: string; offset: number; length: number }) {
  const object = await lake.get(staged.key, { range: { offset: staged.offset, length: staged.length } });
  if (!object) throw new Error(`staged object ${staged.key} is missing`);
  const text = await object.text();
  return text
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => QueuedEvent.parse(JSON.parse(l)));
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
  const parsed = EventsMessage.safeParse(body);
  if (!parsed.success) return { ok: false, message, reason: `malformed message: ${parsed.error.issues[0]?.message}` };
  const data = parsed.data;
  if ("events" in data) return { ok: true, decoded: { message, project: data.project, events: data.events } };
  try {
    return { ok: true, decoded: { message, project: data.project, events: await stagedEvents(lake, data.staged) } };
  } catch (err) {
    return { ok: false, message, reason: `staged events unreadable: ${String(err).slice(0, 200)}` };
  }
}
