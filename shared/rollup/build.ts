// Building hourly rollups from lake rows: count and HyperLogLog sketches per (hour, level, dimensions).
import type { LakeRow } from "../lake/lake-row";
import { hashValue } from "../sketch/hash";
import { HyperLogLog } from "../sketch/hll";
import { hourOf, LEVEL_NAMES, ROLLUP_DIMS, ROLLUP_LEVELS, type RollupDim, type RollupGroup } from "./dims";

interface Acc {
  hourMs: number;
  level: string;
  dims: Record<RollupDim, string | null>;
  count: number;
  users: HyperLogLog;
  sessions: HyperLogLog;
}

const LEVELS = ROLLUP_LEVELS.map((dims, i) => ({
  dims: dims as readonly RollupDim[],
  at: (dims as readonly RollupDim[]).map((d) => ROLLUP_DIMS.indexOf(d)),
  name: LEVEL_NAMES[i] as string,
  tag: `|${i}|`,
}));

/**
 * Accumulates rows into hourly groups at every level. Sketches hash values exactly as
 * approx_count_distinct does, so merging a range's sketches gives the estimate the engine computes
 * over the raw rows.
 * @example const b = createRollupBuilder((h) => wanted.has(h)); b.add(rows); b.groups()
 */
export function createRollupBuilder(accept: (hourMs: number) => boolean = () => true) {
  const byKey = new Map<string, Acc>();
  return {
    add(rows: Iterable<LakeRow>): void {
      for (const r of rows) {
        const hourMs = hourOf(r.ts);
        if (!accept(hourMs)) continue;
        const user = r.user_id === null ? null : hashValue(r.user_id);
        const session = r.session_id === null ? null : hashValue(r.session_id);
        // JSON-encoded values joined by commas: unambiguous, and each value encoded once per row.
        const enc = ROLLUP_DIMS.map((d) => JSON.stringify(r[d]));
        for (const level of LEVELS) {
          let key = hourMs + level.tag;
          for (const i of level.at) key += `${enc[i]},`;
          let acc = byKey.get(key);
          if (!acc) {
            const dims = {} as Record<RollupDim, string | null>;
            for (const d of ROLLUP_DIMS) dims[d] = level.dims.includes(d) ? r[d] : null;
            acc = { hourMs, level: level.name, dims, count: 0, users: new HyperLogLog(), sessions: new HyperLogLog() };
            byKey.set(key, acc);
          }
          acc.count++;
          if (user !== null) acc.users.add(user);
          if (session !== null) acc.sessions.add(session);
        }
      }
    },
    /** The groups of every level, by hour. */
    groups(): Map<number, RollupGroup[]> {
      const out = new Map<number, RollupGroup[]>();
      for (const a of byKey.values()) {
        const list = out.get(a.hourMs) ?? [];
        list.push({
          hourMs: a.hourMs,
          level: a.level,
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
