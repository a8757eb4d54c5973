// The audit log's entries and their hash chain: hash = SHA-256(prev_hash ‖ canonical entry), hex.
import { z } from "zod";

export const GENESIS_HASH = "0".repeat(64);

export const AuditActor = z.object({ type: z.enum(["key", "user", "super-admin", "anonymous"]), id: z.string() });

/** What a request records; the log adds `seq`, `at` is the request's time. */
export const AuditRecord = z.object({
  at: z.string(),
  actor: AuditActor,
  action: z.string().min(1).max(128),
  target: z.string().max(512),
  outcome: z.enum(["ok", "denied"]),
  status: z.number().int(),
  request_id: z.string().max(128),
  country: z.string().max(8).nullable(),
  reason: z.string().max(256).nullable(),
});
export type AuditRecord = z.infer<typeof AuditRecord>;

export interface AuditEntry extends AuditRecord {
  seq: number;
  prev_hash: string;
  hash: string;
}

/**
 * The entry's fields but the hashes, in one fixed order: what the chain hashes, and the order of the
 * audit table's columns before prev_hash and hash.
 */
export function entryFields(e: AuditRecord & { seq: number }) {
  return [
    e.seq,
    e.at,
    e.actor.type,
    e.actor.id,
    e.action,
    e.target,
    e.outcome,
    e.status,
    e.request_id,
    e.country,
    e.reason,
  ] as const;
}

/** The entry's fields as JSON: the text the chain hashes. */
export function canonicalEntry(e: AuditRecord & { seq: number }): string {
  return JSON.stringify(entryFields(e));
}

function hex(bytes: ArrayBuffer): string {
  let s = "";
  for (const b of new Uint8Array(bytes)) s += b.toString(16).padStart(2, "0");
  return s;
}

export async function chainHash(prevHash: string, entry: AuditRecord & { seq: number }): Promise<string> {
  const data = new TextEncoder().encode(prevHash + canonicalEntry(entry));
  return hex(await crypto.subtle.digest("SHA-256", data));
}

export type ChainVerdict =
  | { valid: true; entries: number; head: string }
  | {
      valid: false;
      entries: number;
      head: string;
      broken_seq: number;
      reason: string;
    };

/** Recomputes the chain over `entries` (in seq order, from seq 1); the first entry that does not check is named. */
export async function verifyChain(entries: Iterable<AuditEntry> | AsyncIterable<AuditEntry>): Promise<ChainVerdict> {
  let prev = GENESIS_HASH;
  let n = 0;
  for await (const e of entries) {
    n++;
    if (e.seq !== n) return { valid: false, entries: n, head: prev, broken_seq: n, reason: "an entry is missing" };
    if (e.prev_hash !== prev)
      return { valid: false, entries: n, head: prev, broken_seq: e.seq, reason: "prev_hash does not match the chain" };
    const hash = await chainHash(prev, e);
    if (hash !== e.hash)
      return { valid: false, entries: n, head: prev, broken_seq: e.seq, reason: "the entry was altered" };
    prev = hash;
  }
  return { valid: true, entries: n, head: prev };
}
