// POST /v1/metrics/{name}/backfill: a new metric gets the lake's history, counted exactly once with
// what live ingestion counted (the boundary is the last snapshot before the metric was created).
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { WindowShard } from "../../durable-objects/window-shard/index";
import { windowStub } from "../../services/stubs/window-shard";
import { StoredMetricSchema } from "../../shared/live/metric-def";
import { computePartials } from "../../shared/live/partials";
import { call, createKey, createProject } from "./helpers";
import { deliver, message, queued } from "./lake-helpers";
import { finished, sql } from "./views-helpers";

const HOUR = 3_600_000;

describe("metric backfill", () => {
  it("counts the lake's events of the range once, never twice for windows live ingestion fed", async () => {
    const p = await createProject("backfill");
    const { key } = await createKey(p.adminKey, ["query"]);
    const hour = Math.floor((Date.now() - 3 * HOUR) / HOUR) * HOUR;
    let n = 0;
    const orders = (count: number, at: number) =>
      Array.from({ length: count }, () => queued(p.id, `o${n++}`, { event_type: "order.created", ts: at + n }));

    // History: in the lake before the metric exists (two batches), plus an event type the metric filters out.
    await deliver([message(p.id, orders(5, hour))]);
    await deliver([message(p.id, [...orders(2, hour + HOUR), queued(p.id, "pv", { ts: hour + 10 })])]);
    const racing = await deliver([message(p.id, orders(2, hour + 60_000))]);
    expect(racing.explicitAcks.length).toBe(1);

    const created = await call("/v1/metrics", {
      method: "POST",
      token: p.adminKey,
      json: { name: "orders", filter: { event_types: ["order.created"] }, windows: ["1h"] },
    });
    expect(created.status).toBe(201);
    const def = StoredMetricSchema.parse(await created.json());

    // The last batch committed just before the metric was created but was counted live (it loaded
    // the metrics after): its partials are in the shard under its commit id, as the live path sends them.
    const commit = await env.DB.prepare(
      "SELECT commit_id FROM snapshots WHERE project_id = ? AND kind = 'append' ORDER BY id DESC LIMIT 1",
    )
      .bind(p.id)
      .first<{ commit_id: string }>();
    const stub = windowStub(env, p.id, "orders");
    const raceEvents = Array.from({ length: 2 }, (_, i) =>
      queued(p.id, `race${i}`, { event_type: "order.created", ts: hour + 60_000 + i }),
    );
    await stub.apply({
      commitId: commit?.commit_id as string,
      project: p.id,
      metric: def,
      windows: computePartials(def, raceEvents),
    });

    // Live: a batch after the metric exists is counted by the consumer.
    await deliver([message(p.id, orders(3, hour + 30_000))]);

    const res = await call("/v1/metrics/orders/backfill", {
      method: "POST",
      token: p.adminKey,
      json: { from: new Date(hour - HOUR).toISOString(), to: new Date().toISOString() },
    });
    expect(res.status).toBe(202);
    const job = await finished(((await res.json()) as { job_id: string }).job_id);
    expect(job.status, job.error ?? "").toBe("succeeded");
    expect(job.result).toMatchObject({ events_applied: 7, events_already_live: 2, files_read: 4 });

    await runInDurableObject(stub, (shard: WindowShard) => shard.tick(Date.now()));
    const windows = (await (
      await call(`/v1/metrics/orders/windows?window=1h&from=${hour - HOUR}`, { token: key })
    ).json()) as { windows: { window: { start: string }; data: { count: number } }[] };
    const counts = Object.fromEntries(windows.windows.map((w) => [w.window.start, w.data.count]));
    const lake = await sql(
      key,
      `SELECT date_trunc('hour', ts) AS h, count(*) AS n FROM "order.created" GROUP BY 1 ORDER BY 1`,
    );
    expect(counts).toEqual(Object.fromEntries(lake.data.map((r) => [r.h, r.n])));
    expect(counts[new Date(hour).toISOString()]).toBe(10);

    // The same range again would count twice: refused.
    const again = await call("/v1/metrics/orders/backfill", {
      method: "POST",
      token: p.adminKey,
      json: { from: new Date(hour).toISOString(), to: new Date(hour + HOUR).toISOString() },
    });
    expect(again.status).toBe(409);
    expect(
      (
        await call("/v1/metrics/events/backfill", {
          method: "POST",
          token: p.adminKey,
          json: { from: new Date(hour).toISOString(), to: new Date(hour + HOUR).toISOString() },
        })
      ).status,
    ).toBe(400);
    expect(
      (await call("/v1/metrics/orders/backfill", { method: "POST", token: key, json: { from: "x", to: "y" } })).status,
    ).toBe(403);
  });
});
