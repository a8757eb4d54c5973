// Dedupe keys and their shards: event ids are spread over shards by a hash of project and id.

/** How long a claim by a batch that has not committed blocks others before it may be taken over. */
export const CLAIM_LEASE_MS = 120_000;

/** The dedupe key of an event: project and event id, unambiguous. */
export function dedupeKey(project: string, eventId: string): string {
  return `${project}\u0000${eventId}`;
}

/** FNV-1a over UTF-16 code units: fast, stable, well spread for shard choice. */
export function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export function shardOf(key: string, shards: number): number {
  return fnv1a(key) % shards;
}

/** What a shard says of one claimed key. */
export type ClaimVerdict =
  | { kind: "new" }
  | { kind: "duplicate" }
  /** Claimed by another batch that has not committed (yet); `expired` once its lease ran out. */
  | { kind: "pending"; batch: string; expired: boolean };

export interface ClaimEntry {
  key: string;
  /** When the shard may forget the key (epoch ms): receipt time plus the project's window. */
  expiresAt: number;
}

/** Keys that expire together, as the consumer sends them to a shard. */
export interface ClaimGroup {
  expiresAt: number;
  keys: string[];
}

/**
 * What a claim found other than "new". New is by far the common verdict, so it is left implicit:
 * the RPC carries no object per key either way.
 */
export interface ClaimExceptions {
  duplicates: string[];
  pending: { key: string; batch: string; expired: boolean }[];
}
