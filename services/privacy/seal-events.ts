// Field encryption in the lake writer: `x-encrypt` payload fields are sealed under their subject's data key
// before the events become Parquet, so no file, copy or export of the lake ever holds them in clear.
import type { QueuedEvent } from "../../shared/events/queue-message";
import { isCiphertext, type SealingKey, sealValue } from "../../shared/privacy/field-cipher";
import { PROJECT_SUBJECT, subjectKeys } from "./key-vault";

/** The subject whose key seals an event's fields: its userId, or the project's key without one. */
export function subjectOf(event: Pick<QueuedEvent, "user_id">): string {
  return event.user_id ? event.user_id : PROJECT_SUBJECT;
}

function payloadObject(text: string | null): Record<string, unknown> | null {
  if (text === null) return null;
  try {
    const o = JSON.parse(text) as unknown;
    return o && typeof o === "object" && !Array.isArray(o) ? (o as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/**
 * The events with every encrypted field of their type sealed (`encrypted`: event type → properties).
 * Events of types without encrypted fields are returned as they are.
 */
export async function sealEvents(
  env: Pick<Env, "DB" | "MASTER_KEY">,
  projectId: string,
  events: QueuedEvent[],
  encrypted: Map<string, string[]>,
): Promise<QueuedEvent[]> {
  const todo: { index: number; payload: Record<string, unknown>; fields: string[] }[] = [];
  events.forEach((e, index) => {
    const fields = encrypted.get(e.event_type);
    if (!fields?.length) return;
    const payload = payloadObject(e.payload);
    const present = payload ? fields.filter((f) => payload[f] !== undefined && payload[f] !== null) : [];
    if (payload && present.some((f) => !isCiphertext(payload[f]))) todo.push({ index, payload, fields: present });
  });
  if (todo.length === 0) return events;
  const keys = await subjectKeys(
    env,
    projectId,
    todo.map((t) => subjectOf(events[t.index] as QueuedEvent)),
  );
  const out = [...events];
  await Promise.all(
    todo.map(async ({ index, payload, fields }) => {
      const event = events[index] as QueuedEvent;
      const { keyId, key } = keys.get(subjectOf(event)) as { keyId: string; key: SealingKey };
      for (const f of fields) if (!isCiphertext(payload[f])) payload[f] = await sealValue(key, keyId, payload[f]);
      out[index] = { ...event, payload: JSON.stringify(payload) };
    }),
  );
  return out;
}
