// Hands accepted events to the events queue: one sendBatch, so a request is taken whole or not at all.
import { TarnError } from "../../shared/errors";
import { eventTuple } from "../../shared/events/event-tuple";
import {
  DEFAULT_PACK_LIMITS,
  type PackLimits,
  packBySize,
  SEND_BATCH_MAX_BYTES,
  SEND_BATCH_MAX_MESSAGES,
} from "../../shared/events/pack";
import type { QueuedEvent, StagedRange } from "../../shared/events/queue-message";

/** Leaves room for the message envelope around the events in the 256 KB sendBatch limit. */
const BATCH_HEADROOM = 8 * 1024;

const NON_ASCII = /[\u0080-\uffff]/;
const encoder = new TextEncoder();

/** UTF-8 size of a serialized event: the queue's limits count bytes, not UTF-16 units. */
function byteLength(line: string): number {
  return NON_ASCII.test(line) ? encoder.encode(line).byteLength : line.length;
}

export interface EnqueueResult {
  messages: number;
  /** R2 key of the staged events, when the request was too big for one sendBatch. */
  stagedKey?: string;
}

/**
 * Sends the events in one `sendBatch` call. When they do not fit in one call (256 KB, 100
 * messages), they are first written to R2 as one NDJSON object and the messages carry byte
 * ranges of it, so acceptance is still a single queue call: all or nothing.
 */
export async function enqueueEvents(
  env: Pick<Env, "EVENTS_QUEUE" | "LAKE">,
  project: string,
  requestId: string,
  events: QueuedEvent[],
  limits: PackLimits = DEFAULT_PACK_LIMITS,
): Promise<EnqueueResult> {
  // Version 2 messages: each event a positional array (shared/events/event-tuple.ts), half the bytes.
  const lines = events.map((e) => JSON.stringify(eventTuple(e)));
  const sizes = lines.map(byteLength);
  const total = sizes.reduce((a, b) => a + b + 1, 0);
  const chunks = packBySize(sizes, limits);

  let bodies: string[];
  let stagedKey: string | undefined;
  // Bodies are built from the event lines already serialized for sizing and sent as text, so no
  // event is serialized twice (the consumer parses text bodies as it does JSON ones).
  const head = `{"v":2,"project":${JSON.stringify(project)},"request_id":${JSON.stringify(requestId)}`;
  if (total + BATCH_HEADROOM <= SEND_BATCH_MAX_BYTES && chunks.length <= SEND_BATCH_MAX_MESSAGES) {
    bodies = chunks.map(([a, b]) => `${head},"events":[${lines.slice(a, b).join(",")}]}`);
  } else {
    // Staged: chunks sized so that at most 100 reference messages are needed.
    const perChunk = Math.max(limits.targetMessageBytes, Math.ceil(total / SEND_BATCH_MAX_MESSAGES) + 1);
    const staged = packBySize(sizes, { targetMessageBytes: perChunk, maxMessageBytes: perChunk });
    const parts: Uint8Array[] = [];
    const ranges: { offset: number; length: number }[] = [];
    let offset = 0;
    for (const [a, b] of staged) {
      const bytes = encoder.encode(`${lines.slice(a, b).join("\n")}\n`);
      parts.push(bytes);
      ranges.push({ offset, length: bytes.byteLength });
      offset += bytes.byteLength;
    }
    stagedKey = `staging/${project}/${new Date().toISOString().slice(0, 10)}/${requestId}-${crypto.randomUUID()}.ndjson`;
    try {
      await env.LAKE.put(stagedKey, new Blob(parts));
    } catch (err) {
      throw unavailable("the lake refused the events", err);
    }
    const key = stagedKey;
    bodies = ranges.map((r) => `${head},"staged":${JSON.stringify({ key, ...r } satisfies StagedRange)}}`);
  }

  try {
    await env.EVENTS_QUEUE.sendBatch(bodies.map((body) => ({ body, contentType: "text" as const })));
  } catch (err) {
    if (stagedKey) await env.LAKE.delete(stagedKey).catch(() => {});
    throw unavailable("the events queue refused the events", err);
  }
  return { messages: bodies.length, stagedKey };
}

function unavailable(message: string, cause: unknown): TarnError {
  console.error(JSON.stringify({ level: "error", msg: message, error: String(cause) }));
  return new TarnError("UNAVAILABLE", `${message}; nothing from this request was accepted, retry it`, {
    retryAfter: 5,
  });
}
