// Profiles and expectations of uploaded datasets: stored after each upload, read back fast, and
// expectations measured with their failing rows, kept as history.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call, createProject } from "./helpers";
import { settled, uploadAndConvert } from "./uploads-helpers";

const ORDERS = [
  "order_id,customer,amount,status,coupon",
  "1,ann,10,paid,",
  "2,bob,12,paid,",
  "3,ann,11,refunded,",
  "4,cy,9,paid,SPRING",
  "5,dee,10.5,paid,",
  "6,eve,11.5,paid,",
  "7,fay,10,paid,",
  "8,gus,12,paid,",
  "9,hal,1000,paid,",
  "9,hal,1000,paid,",
].join("\n");

interface Profile {
  row_count: number;
  duplicate_rows: number;
  quality_score: number;
  columns: {
    name: string;
    null_count: number;
    null_percentage: number;
    unique_count: number;
    low_quality: boolean;
    top_values: { value: unknown; count: number }[];
  }[];
  issues: { column: string | null; issue_type: string }[];
}

describe("profiles", () => {
  it("stores a profile after an upload, with nulls, duplicates, outliers and a score", async () => {
    const p = await createProject("prof");
    const job = await uploadAndConvert(p.adminKey, "name=orders&format=csv", ORDERS);
    expect(job.status).toBe("succeeded");
    const res = await call("/v1/datasets/orders/profile", { token: p.adminKey });
    expect(res.status).toBe(200);
    const profile = (await res.json()) as Profile;
    expect(profile.row_count).toBe(10);
    expect(profile.duplicate_rows).toBe(1);
    const coupon = profile.columns.find((c) => c.name === "coupon");
    expect(coupon).toMatchObject({ null_count: 9, null_percentage: 90, unique_count: 1, low_quality: true });
    const customer = profile.columns.find((c) => c.name === "customer");
    expect(customer?.top_values[0]).toEqual({ value: "ann", count: 2 });
    const kinds = profile.issues.map((i) => `${i.column}:${i.issue_type}`);
    expect(kinds).toContain("coupon:high_nulls");
    expect(kinds).toContain("null:duplicates");
    expect(kinds).toContain("amount:outliers");
    expect(profile.quality_score).toBeGreaterThan(0);
    expect(profile.quality_score).toBeLessThan(1);
  });

  it("profiles an event dataset on demand", async () => {
    const p = await createProject("profev");
    const sent = await call("/v1/events", {
      method: "POST",
      token: p.adminKey,
      json: [
        { eventType: "click", userId: "a" },
        { eventType: "click", userId: "b" },
      ],
    });
    expect(sent.status).toBe(202);
    const deadline = Date.now() + 15_000;
    let queued: Response | null = null;
    while (Date.now() < deadline) {
      queued = await call("/v1/datasets/click/profile", { method: "POST", token: p.adminKey });
      if (queued.status === 202) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(queued?.status).toBe(202);
    const { id } = (await (queued as Response).json()) as { id: string };
    const job = await settled(p.adminKey, id);
    expect(job.status).toBe("succeeded");
    const profile = (await (await call("/v1/datasets/click/profile", { token: p.adminKey })).json()) as Profile;
    expect(profile.row_count).toBe(2);
    expect(profile.columns.find((c) => c.name === "user_id")?.unique_count).toBe(2);
  });
});

describe("expectations", () => {
  it("measures expectations after an upload and on demand, with failing rows and history", async () => {
    const p = await createProject("expect");
    const put = await call("/v1/datasets/orders/expectations", {
      method: "PUT",
      token: p.adminKey,
      json: {
        expectations: [
          { id: "ids", type: "unique", column: "order_id" },
          { id: "amount", type: "between", column: "amount", min: 0, max: 100 },
          { id: "status", type: "in_set", column: "status", values: ["paid", "refunded"] },
          { id: "names", type: "matches_regex", column: "customer", pattern: "^[a-z]+$", severity: "warn" },
          { id: "rows", type: "row_count_between", min: 1, max: 100 },
          { id: "coupon", type: "not_null", column: "coupon", severity: "warn" },
          { id: "fresh", type: "fresh_within", seconds: 3600 },
          { id: "custom", type: "sql", sql: "SELECT count(*) FROM orders WHERE amount < 0" },
        ],
      },
    });
    expect(put.status).toBe(200);
    const bad = await call("/v1/datasets/orders/expectations", {
      method: "PUT",
      token: p.adminKey,
      json: { expectations: [{ id: "x", type: "between" }] },
    });
    expect(bad.status).toBe(400);
    await uploadAndConvert(p.adminKey, "name=orders&format=csv", ORDERS);
    const quality = (await (await call("/v1/datasets/orders/quality", { token: p.adminKey })).json()) as {
      results: { id: string; passed: boolean; failing_rows: number | null; observed: unknown }[];
      history: unknown[];
      expectations_score: number;
    };
    const byId = Object.fromEntries(quality.results.map((r) => [r.id, r]));
    expect(byId.ids).toMatchObject({ passed: false, failing_rows: 1 });
    expect(byId.amount).toMatchObject({ passed: false, failing_rows: 2 });
    expect(byId.status).toMatchObject({ passed: true, failing_rows: 0 });
    expect(byId.names).toMatchObject({ passed: true });
    expect(byId.rows).toMatchObject({ passed: true, observed: 10 });
    expect(byId.coupon).toMatchObject({ passed: false, failing_rows: 9 });
    expect(byId.fresh).toMatchObject({ passed: true });
    expect(byId.custom).toMatchObject({ passed: true, failing_rows: 0 });
    expect(quality.history).toHaveLength(1);
    const run = await call("/v1/datasets/orders/expectations/run", { method: "POST", token: p.adminKey });
    expect(run.status).toBe(200);
    const again = (await (await call("/v1/datasets/orders/quality", { token: p.adminKey })).json()) as {
      history: unknown[];
    };
    expect(again.history).toHaveLength(2);
  });

  it("fires the project's alert webhooks with a quality event, kept out of the alert's own history", async () => {
    const p = await createProject("qhook");
    const alert = await call("/v1/alerts", {
      method: "POST",
      token: p.adminKey,
      json: {
        name: "any",
        metric: "events",
        window: "1m",
        value: "count",
        condition: { kind: "threshold", op: ">=", value: 1_000_000 },
        webhook_url: "http://127.0.0.1:9/hook",
      },
    });
    const { id } = (await alert.json()) as { id: string };
    await call("/v1/datasets/orders/expectations", {
      method: "PUT",
      token: p.adminKey,
      json: { expectations: [{ id: "ids", type: "unique", column: "order_id" }] },
    });
    await uploadAndConvert(p.adminKey, "name=orders&format=csv", ORDERS);
    const events = await env.DB.prepare("SELECT metric, status, reason FROM live_alert_events WHERE alert_id = ?")
      .bind(id)
      .all<{ metric: string; status: string; reason: string }>();
    expect(events.results).toHaveLength(1);
    expect(events.results[0]?.metric).toBe("quality:orders");
    expect(JSON.parse(events.results[0]?.reason ?? "{}")).toMatchObject({ dataset: "orders", failed: [{ id: "ids" }] });
    const history = await call(`/v1/alerts/${id}/history`, { token: p.adminKey });
    expect(history.status).toBe(200);
    expect(((await history.json()) as { events: unknown[] }).events).toEqual([]);
  });
});
