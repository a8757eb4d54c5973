// Building hourly rollups from lake rows: count and HyperLogLog sketches per (hour, dimensions).
import type { LakeRow } from "../lake/lake-row";
import { HyperLogLog } from "../query";
import { hashValue } from "../query/hash";
import { hourOf, ROLLUP_DIMS, type RollupDim, type RollupGroup } from "./dims";

interface Acc {
  hourMs: number;
  dims: Record<RollupDim, string | null>;
  count: number;
  users: HyperLogLog;
  sessions: HyperLogLog;
}

/**
 * Accumulates rows into hourly groups. Sketches hash values exactly as approx_count_distinct does,
 * so merging a range's sketches gives the estimate the engine computes over the raw rows.
 * @example const b = createRollupBuilder((h) => wanted.has(h)); b.add(rows); b.groups()
 */
export function createRollupBuilder(accept: (hourMs: number) => boolean = () => true) {
  const byKey = new Map<string, Acc>();
  return {
    add(rows: Iterable<LakeRow>): void {
      for (const r of rows) {
        const hourMs = hourOf(r.ts);
        if (!accept(hourMs)) continue;
        const key = JSON.stringify([hourMs, r.event_type, r.environment, r.source, r.country, r.region]);
        let acc = byKey.get(key);
        if (!acc) {
          const dims = {} as Record<RollupDim, string | null>;
          for (const d of ROLLUP_DIMS) dims[d] = r[d];
          acc = { hourMs, dims, count: 0, users: new HyperLogLog(), sessions: new HyperLogLog() };
          byKey.set(key, acc);
        }
        acc.count++;
        if (r.user_id !== null) acc.users.add(hashValue(r.user_id));
        if (r.session_id !== null) acc.sessions.add(hashValue(r.session_id));
      }
    },
    /** The groups, by hour. */
    groups(): Map<number, RollupGroup[]> {
      const out = new Map<number, RollupGroup[]>();
      for (const a of byKey.values()) {
        const list = out.get(a.hourMs) ?? [];
        list.push({
          hourMs: a.hourMs,
          dims: a.dims,
          count: a.count,
          sketches: { user_id: a.users.toBytes(), session_id: a.sessions.toBytes() },
        });
        out.set(a.hourMs, list);
      }
      return out;
    },
  };
}
