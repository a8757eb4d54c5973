// WindowShard.apply over many windows at once: the batched merge agrees with one-window-at-a-time
// merging (groups, `__other__` overflow, rev, corrections), and a timing of a consumer-sized batch.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { WindowShard } from "../../durable-objects/window-shard/index";
import { windowStub } from "../../services/stubs/window-shard";
import { MetricDefinitionSchema } from "../../shared/live/metric-def";
import { computePartials } from "../../shared/live/partials";
import { eventsAt } from "./live-helpers";

const def = {
  ...MetricDefinitionSchema.parse({
    name: "spread",
    windows: ["1m", "1h"],
    aggregates: [
      { fn: "count" },
      { fn: "sum", field: "payload.amount", as: "revenue" },
      { fn: "distinct", field: "user_id", as: "users" },
      { fn: "quantiles", field: "payload.amount", qs: [0.5, 0.95], as: "amount" },
    ],
    group_by: ["country"],
    top_k: 5,
  }),
  id: "met_spread",
};

/**
 * `n` events spread over the hour before the last three minutes, in `countries` countries. Every
 * minute window has then ended (with its lateness) before the test applies it, so none is closed by
 * the alarm in one shard and not yet in the other when the test runs across a minute's end.
 */
function spread(project: string, prefix: string, n: number, countries: number) {
  const now = Date.now() - 180_000;
  return eventsAt(project, prefix, n, now).map((e, i) => ({
    ...e,
    ts: now - 3_540_000 + Math.floor((i * 3_540_000) / n),
    user_id: `u${i % 97}`,
    country: `C${i % countries}`,
    payload: JSON.stringify({ amount: (i % 50) + 1 }),
  }));
}

describe("WindowShard.apply with many windows", () => {
  it("merges a batch touching ~60 windows like separate batches would", async () => {
    const p = `prj_${crypto.randomUUID().slice(0, 8)}`;
    const events = spread(p, "a", 600, 7);
    const together = windowStub(env, p, "spread");
    const windows = computePartials(def, events);
    const r1 = await together.apply({ commitId: "c1", project: p, metric: def, windows });
    const r2 = await together.apply({ commitId: "c2", project: p, metric: def, windows });
    expect(r1).toMatchObject({ applied: true, windows: windows.length, corrections: 0 });
    expect(r2.windows).toBe(windows.length);
    const apart = windowStub(env, `${p}b`, "spread");
    for (const [i, w] of windows.entries())
      for (const c of ["x", "y"])
        await apart.apply({ commitId: `${c}${i}`, project: `${p}b`, metric: def, windows: [w] });
    const a = await together.recent("1m", 100);
    const b = await apart.recent("1m", 100);
    expect(a?.length).toBeGreaterThan(50);
    expect(a?.map((w) => ({ ...w, rev: w.rev }))).toEqual(b);
    expect(await together.recent("1h", 5)).toEqual(await apart.recent("1h", 5));
  });

  it("spills groups past the per-window limit into __other__ within one batch", async () => {
    const p = `prj_${crypto.randomUUID().slice(0, 8)}`;
    const now = Date.now();
    const mk = (prefix: string, n: number) =>
      eventsAt(p, prefix, n, now).map((e, i) => ({ ...e, country: `${prefix}${i}` }));
    const stub = windowStub(env, p, "spread");
    const one = { ...def, windows: ["1h" as const] };
    await stub.apply({ commitId: "g1", project: p, metric: one, windows: computePartials(one, mk("A", 999)) });
    await stub.apply({ commitId: "g2", project: p, metric: one, windows: computePartials(one, mk("B", 5)) });
    const [w] = (await stub.recent("1h", 1)) ?? [];
    expect(w?.data.count).toBe(1004);
    await runInDurableObject(stub, (_shard: WindowShard, state) => {
      const rows = state.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM groups").one();
      expect(rows.n).toBe(1001); // 1,000 groups and __other__
      const other = state.storage.sql
        .exec<{ state: string }>("SELECT state FROM groups WHERE gkey = '__other__'")
        .one();
      expect(JSON.parse(other.state).count).toBe(4);
    });
  });

  it("applies 30 consumer batches spread over an hour and counts every event once (timing printed)", async () => {
    const p = `prj_${crypto.randomUUID().slice(0, 8)}`;
    const stub = windowStub(env, p, "spread");
    const batches = Array.from({ length: 30 }, (_, b) => computePartials(def, spread(p, `t${b}`, 500, 20)));
    const touched = batches[0]?.length ?? 0;
    await runInDurableObject(stub, async (shard: WindowShard) => {
      const t0 = performance.now();
      for (const [b, windows] of batches.entries())
        await shard.apply({ commitId: `t${b}`, project: p, metric: def, windows });
      const t1 = performance.now();
      // workerd freezes timers during sync work; Date.now() advances only on I/O, so both clocks are shown.
      console.log(
        `[live-apply] ${batches.length} applies × ${touched} windows: ${(t1 - t0).toFixed(1)} ms total, ` +
          `${((t1 - t0) / batches.length).toFixed(2)} ms/apply`,
      );
      const hours = await shard.recent("1h", 10);
      const counted = (hours ?? []).reduce((n, w) => n + Number((w.data as { count?: number }).count ?? 0), 0);
      expect(counted).toBe(batches.length * 500);
    });
  });
});
