// The bytes of lake files that queries read, kept in this isolate (QUERY_CACHE_MB) for the queries
// and splits after them: see shared/lake/byte-range-cache.ts.
import { readConfig, type TarnVars } from "../../shared/config";
import { ByteRangeCache } from "../../shared/lake/byte-range-cache";
import { r2AsyncBuffer } from "./r2-buffer";

let cache: ByteRangeCache | undefined;

/** The isolate's cache, made at the first query with the configured budget. */
function queryByteCache(env: TarnVars): ByteRangeCache {
  cache ??= new ByteRangeCache(readConfig(env).queryCacheBytes);
  return cache;
}

/** A lake file for a query: its ranges come from the isolate's cache when it holds them. */
export function queryFileBuffer(env: Pick<Env, "LAKE"> & TarnVars, key: string, byteLength: number) {
  return r2AsyncBuffer(env.LAKE, key, byteLength, queryByteCache(env));
}
