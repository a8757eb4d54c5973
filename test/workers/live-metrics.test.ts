// /v1/metrics: define, list, read and delete user metrics; they count through the consumer and stream.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { WindowShard } from "../../durable-objects/window-shard/index";
import { windowStub } from "../../services/stubs/window-shard";
import { call, createKey, createProject, expectEnvelope } from "./helpers";
import { deliver, message } from "./lake-helpers";
import { eventsAt, openSocket } from "./live-helpers";

const checkout = {
  name: "checkout",
  description: "paid orders",
  filter: { event_types: ["order.created"], where: [{ field: "payload.amount", op: "gt", value: 0 }] },
  windows: ["1m", "1h"],
  aggregates: [
    { fn: "count" },
    { fn: "sum", field: "payload.amount", as: "revenue" },
    { fn: "avg", field: "payload.amount" },
    { fn: "distinct", field: "user_id", as: "buyers" },
    { fn: "quantiles", field: "payload.amount", qs: [0.5, 0.99], as: "amount" },
  ],
  group_by: ["country"],
  top_k: 2,
};

describe("/v1/metrics", () => {
  it("defines, lists, reads and deletes a metric, with the built-in events stream listed first", async () => {
    const p = await createProject("metrics-crud");
    const created = await call("/v1/metrics", { method: "POST", token: p.adminKey, json: checkout });
    expect(created.status).toBe(201);
    const body = (await created.json()) as { id: string; windows: string[]; builtin: boolean };
    expect(body).toMatchObject({ name: "checkout", windows: ["1m", "1h"], builtin: false, top_k: 2 });
    expect(body.id).toMatch(/^met_/);

    const { key } = await createKey(p.adminKey, ["query"]);
    const list = (await (await call("/v1/metrics", { token: key })).json()) as { metrics: { name: string }[] };
    expect(list.metrics.map((m) => m.name)).toEqual(["events", "checkout"]);
    expect((await call("/v1/metrics/checkout", { token: key })).status).toBe(200);

    const again = await call("/v1/metrics", { method: "POST", token: p.adminKey, json: checkout });
    expect(again.status).toBe(409);
    expect((await expectEnvelope(again)).code).toBe("CONFLICT");

    expect((await call("/v1/metrics", { method: "POST", token: key, json: checkout })).status).toBe(403);
    expect((await call("/v1/metrics/checkout", { method: "DELETE", token: p.adminKey })).status).toBe(204);
    expect((await call("/v1/metrics/checkout", { token: key })).status).toBe(404);
    expect((await call("/v1/metrics/checkout", { method: "DELETE", token: p.adminKey })).status).toBe(404);
    expect((await call("/v1/metrics/events", { method: "DELETE", token: p.adminKey })).status).toBe(400);
  });

  it("names the field of an invalid definition", async () => {
    const p = await createProject("metrics-bad");
    for (const [json, field] of [
      [{ name: "events" }, "name"],
      [{ name: "m", windows: ["3s"] }, "windows.0"],
      [{ name: "m", aggregates: [{ fn: "sum", field: "payload" }] }, "aggregates.0.field"],
      [{ name: "m", group_by: ["a", "b", "c"] }, "group_by"],
    ] as const) {
      const res = await call("/v1/metrics", { method: "POST", token: p.adminKey, json });
      expect(res.status).toBe(400);
      const error = await expectEnvelope(res);
      expect(error.code).toBe("VALIDATION_ERROR");
      expect(error.message.startsWith(`${field}:`), error.message).toBe(true);
    }
  });

  it("counts matching events per window and group, streams them, and serves closed windows", async () => {
    const p = await createProject("metrics-count");
    const { key } = await createKey(p.adminKey, ["query"]);
    expect((await call("/v1/metrics", { method: "POST", token: p.adminKey, json: checkout })).status).toBe(201);
    const s = await openSocket(key, "&subscribe=checkout:1m");
    expect(await s.next((f) => f.type === "snapshot")).toMatchObject({ stream: "checkout", windows: [] });

    const ts = Math.floor((Date.now() - 180_000) / 60_000) * 60_000 + 1000; // a minute that has closed
    const order = (i: number, amount: number, country: string, user: string) =>
      eventsAt(p.id, `o${i}`, 1, ts, {
        event_type: "order.created",
        country,
        user_id: user,
        payload: JSON.stringify({ amount }),
      });
    await deliver([
      message(p.id, [
        ...order(1, 100, "FR", "u1"),
        ...order(2, 50, "FR", "u2"),
        ...order(3, 30, "DE", "u1"),
        ...order(4, 20, "US", "u3"),
        ...order(5, 0, "FR", "u4"), // filtered out: amount must be > 0
        ...eventsAt(p.id, "pv", 3, ts), // another event type: filtered out
      ]),
    ]);
    const update = await s.next((f) => f.type === "update");
    expect(update).toMatchObject({
      stream: "checkout",
      data: {
        count: 4,
        values: { count: 4, revenue: 200, avg_payload_amount: 50, buyers: 3 },
        groups: [
          { key: { country: "FR" }, count: 2, values: { revenue: 150 } },
          { key: { country: "DE" }, count: 1 },
        ],
      },
    });
    const amount = (update.data as { values: { amount: { p50: number; p99: number } } }).values.amount;
    expect(amount.p50).toBeCloseTo(30, -0.5);
    expect(amount.p99).toBeCloseTo(100, -0.5); // nearest rank: the 4th of 4

    await runInDurableObject(windowStub(env, p.id, "checkout"), (shard: WindowShard) => shard.tick(Date.now()));
    const windows = await call(`/v1/metrics/checkout/windows?window=1m&from=${ts - 60_000}`, { token: key });
    expect(windows.status).toBe(200);
    const list = (await windows.json()) as { windows: { data: { count: number } }[] };
    expect(list.windows.map((w) => w.data.count)).toEqual([4]);
    expect((await call("/v1/metrics/checkout/windows?window=1s", { token: key })).status).toBe(400);
    expect((await call("/v1/metrics/nope/windows", { token: key })).status).toBe(404);
    expect((await call("/v1/metrics/events/windows?window=1m", { token: key })).status).toBe(200);
    s.close();
  });

  it("keeps two projects' metrics of the same name apart", async () => {
    const a = await createProject("metrics-iso-a");
    const b = await createProject("metrics-iso-b");
    for (const p of [a, b])
      expect(
        (await call("/v1/metrics", { method: "POST", token: p.adminKey, json: { name: "all", windows: ["1h"] } }))
          .status,
      ).toBe(201);
    const now = Date.now();
    await deliver([message(a.id, eventsAt(a.id, "a", 2, now)), message(b.id, eventsAt(b.id, "b", 5, now))]);
    expect((await windowStub(env, a.id, "all").recent("1h", 1))?.[0]?.data.count).toBe(2);
    expect((await windowStub(env, b.id, "all").recent("1h", 1))?.[0]?.data.count).toBe(5);
  });
});
