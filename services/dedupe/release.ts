// After a rollback, events that left the lake must be able to land again: their ids leave the
// dedupe window, so a producer re-sending them gets them accepted and written once more.
import { getOrInsert } from "../../shared/collections";
import { readConfig } from "../../shared/config";
import { dedupeKey, shardOf } from "../../shared/dedupe";
import { readEventIds } from "../lake-objects/event-ids";
import type { ManifestFile } from "../manifest/read";
import { shardStub } from "../stubs/dedupe-shard";

/**
 * Forgets the ids of events in `removed` files that are not also in `restored` ones (a rollback
 * over a compaction brings the same events back in other files). Returns how many ids were freed.
 */
export async function releaseRolledBack(
  env: Env,
  projectId: string,
  removed: ManifestFile[],
  restored: ManifestFile[],
): Promise<number> {
  if (removed.length === 0) return 0;
  const [left, stayed] = await Promise.all([readEventIds(env.LAKE, removed), readEventIds(env.LAKE, restored)]);
  const shards = readConfig(env).dedupeShards;
  const byShard = new Map<number, string[]>();
  for (const id of left) {
    if (stayed.has(id)) continue;
    const key = dedupeKey(projectId, id);
    getOrInsert(byShard, shardOf(key, shards), () => []).push(key);
  }
  const freed = await Promise.all([...byShard].map(([shard, keys]) => shardStub(env, shard).forget(keys)));
  return freed.reduce((n, k) => n + k, 0);
}
