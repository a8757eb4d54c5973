// A subject export's lines and its download links: events in the shape producers send them, and links
// signed with a key derived from MASTER_KEY that stop working when they expire.
import { createHmac, timingSafeEqual } from "node:crypto";
import type { LakeRow } from "../lake/lake-row";

/** Where an export's NDJSON lives (private: served only through a signed, expiring link). */
export const exportKey = (projectId: string, id: string) => `exports/${projectId}/privacy/${id}.ndjson`;

function parsed(text: string | null): unknown {
  if (text === null) return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** One exported event: the wire envelope (camelCase), payload and metadata as objects. */
export function exportLine(row: LakeRow): string {
  return JSON.stringify({
    eventId: row.event_id,
    eventType: row.event_type,
    timestamp: new Date(row.ts).toISOString(),
    receivedAt: new Date(row.received_at).toISOString(),
    userId: row.user_id,
    sessionId: row.session_id,
    correlationId: row.correlation_id,
    eventSource: row.source,
    version: row.version,
    environment: row.environment,
    region: row.region,
    country: row.country,
    data: { payload: parsed(row.payload), metadata: parsed(row.metadata) },
  });
}

function signature(master: Uint8Array, projectId: string, id: string, expires: number): string {
  return createHmac("sha256", master).update(`tarn-export:${projectId}:${id}:${expires}`).digest("hex");
}

/** The query string of a download link valid until `expires` (epoch seconds). */
export function signDownload(master: Uint8Array, projectId: string, id: string, expires: number): string {
  return `project=${encodeURIComponent(projectId)}&expires=${expires}&sig=${signature(master, projectId, id, expires)}`;
}

/** Whether a download link is genuine and unexpired at `nowSeconds`. */
export function verifyDownload(
  master: Uint8Array,
  link: { projectId: string; id: string; expires: number; sig: string },
  nowSeconds: number,
): boolean {
  if (!Number.isSafeInteger(link.expires) || link.expires < nowSeconds) return false;
  const want = Buffer.from(signature(master, link.projectId, link.id, link.expires));
  const got = Buffer.from(link.sig);
  return want.length === got.length && timingSafeEqual(want, got);
}
