import { committedBatches } from "../services/manifest/read";
import { shardStub } from "../services/stubs/dedupe-shard";
import { getOrInsert } from "../shared/collections";
import { type ClaimExceptions, shardOf } from "../shared/dedupe";

export interface Candidate {
  key: string;
  expiresAt: number;
}

export interface ClaimOutcome {
  /** Keys this batch now holds and must write. */
  fresh: Set<string>;
  /** Keys held by another live batch: the messages holding them are retried later. */
  blocked: Set<string>;
  /** Shard indices touched, for commit and release. */
  shards: Set<number>;
}

/**
 * Claims candidates for `batch`. A key pending under another batch is resolved through D1:
 * if that batch's commit is in the manifest the key is a duplicate (and the shard is told);
 * if not and its lease expired, the claim is taken over; otherwise it stays blocked.
 */
export async function claimEvents(
  env: Env,
  batch: string,
  candidates: Candidate[],
  shards: number,
): Promise<ClaimOutcome> {
  // Per shard, keys grouped by expiry: the shape the shard's claimGroups takes.
  const byShard = new Map<number, Map<number, string[]>>();
  for (const c of candidates) {
    const groups = getOrInsert(byShard, shardOf(c.key, shards), () => new Map<number, string[]>());
    getOrInsert(groups, c.expiresAt, () => []).push(c.key);
  }
  const fresh = new Set<string>();
  const blocked = new Set<string>();
  const pending: { shard: number; key: string; batch: string; expired: boolean }[] = [];
  await Promise.all(
    [...byShard].map(async ([shard, groups]) => {
      const list = [...groups].map(([expiresAt, keys]) => ({ expiresAt, keys }));
      const found: ClaimExceptions = await shardStub(env, shard).claimGroups(batch, list);
      const notNew = new Set(found.duplicates);
      for (const p of found.pending) {
        notNew.add(p.key);
        pending.push({ shard, ...p });
      }
      for (const { keys } of list) for (const key of keys) if (!notNew.has(key)) fresh.add(key);
    }),
  );
  if (pending.length > 0) await resolvePending(env, batch, pending, fresh, blocked);
  return { fresh, blocked, shards: new Set(byShard.keys()) };
}

async function resolvePending(
  env: Env,
  batch: string,
  pending: { shard: number; key: string; batch: string; expired: boolean }[],
  fresh: Set<string>,
  blocked: Set<string>,
): Promise<void> {
  const others = [...new Set(pending.map((p) => p.batch))];
  const committed = await committedBatches(env.DB, others);
  const repairs = new Map<number, Set<string>>();
  const takeovers = new Map<string, { shard: number; from: string; keys: string[] }>();
  for (const p of pending) {
    if (committed.has(p.batch)) {
      // The other batch committed but died before telling the shard: a duplicate; repair the shard.
      getOrInsert(repairs, p.shard, () => new Set<string>()).add(p.batch);
    } else if (p.expired) {
      const id = `${p.shard}\u0000${p.batch}`;
      getOrInsert(takeovers, id, () => ({ shard: p.shard, from: p.batch, keys: [] as string[] })).keys.push(p.key);
    } else {
      blocked.add(p.key);
    }
  }
  await Promise.all([
    ...[...repairs].flatMap(([shard, batches]) => [...batches].map((b) => shardStub(env, shard).commit(b))),
    ...[...takeovers.values()].map(async (t) => {
      const taken = new Set(await shardStub(env, t.shard).takeOver(t.from, batch, t.keys));
      for (const key of t.keys) (taken.has(key) ? fresh : blocked).add(key);
    }),
  ]);
}
