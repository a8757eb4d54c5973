// The DedupeShard stub by index; its type comes from the generated Env.

/** Dedupe shard `index` (of DEDUPE_SHARDS); which shard holds a key is `shardOf` in shared/dedupe. */
export function shardStub(env: Env, index: number) {
  return env.DEDUPE.get(env.DEDUPE.idFromName(`dedupe-${index}`));
}
