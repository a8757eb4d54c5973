// /v1/alerts: rules validated against their metric, judged as windows close (threshold, z-score),
// history in D1, alert frames over WebSocket, and the webhook queue's failure path.
import { createExecutionContext, createMessageBatch, env, getQueueResult, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { WindowShard } from "../../durable-objects/window-shard/index";
import { consumeWebhooks } from "../../queues/webhooks";
import { windowStub } from "../../services/stubs/window-shard";
import { EVENTS_METRIC } from "../../shared/live/metric-def";
import { computePartials } from "../../shared/live/partials";
import { call, createKey, createProject, expectEnvelope } from "./helpers";
import { eventsAt, openSocket } from "./live-helpers";

const tick = (project: string, now: number) =>
  runInDurableObject(windowStub(env, project, "events"), (shard: WindowShard) => shard.tick(now));

async function applyAt(project: string, id: string, n: number, ts: number) {
  const windows = computePartials(EVENTS_METRIC, eventsAt(project, id, n, ts));
  await windowStub(env, project, "events").apply({ commitId: id, project, metric: EVENTS_METRIC, windows });
}

async function history(project: string, alertId: string) {
  return env.DB.prepare(
    "SELECT status, window_start, value, delivery, reason FROM live_alert_events WHERE project_id = ? AND alert_id = ? ORDER BY window_start, status",
  )
    .bind(project, alertId)
    .all<{ status: string; window_start: number; value: number; delivery: string; reason: string }>();
}

describe("/v1/alerts", () => {
  it("validates a rule against its metric", async () => {
    const p = await createProject("alerts-bad");
    const base = { name: "a", metric: "events", window: "1s", condition: { kind: "threshold", op: ">", value: 1 } };
    const cases: [unknown, number, string][] = [
      [{ ...base, metric: "nope" }, 404, "NOT_FOUND"],
      [{ ...base, window: "10s" }, 400, "VALIDATION_ERROR"],
      [{ ...base, value: "revenue" }, 400, "VALIDATION_ERROR"],
      [{ ...base, condition: { kind: "psychic" } }, 400, "VALIDATION_ERROR"],
      [{ ...base, webhook_url: "ftp://example.com/x" }, 400, "VALIDATION_ERROR"],
    ];
    for (const [json, status, code] of cases) {
      const res = await call("/v1/alerts", { method: "POST", token: p.adminKey, json });
      expect(res.status, JSON.stringify(json)).toBe(status);
      expect((await expectEnvelope(res)).code).toBe(code);
    }
    const ok = await call("/v1/alerts", { method: "POST", token: p.adminKey, json: base });
    expect(ok.status).toBe(201);
    expect(await ok.json()).toMatchObject({ name: "a", webhook_url: null, webhook_secret: null, value: "count" });
  });

  it("fires a threshold alert when a window closes above it, resolves it after, and records both", async () => {
    const p = await createProject("alerts-threshold");
    const { key } = await createKey(p.adminKey, ["query"]);
    const res = await call("/v1/alerts", {
      method: "POST",
      token: p.adminKey,
      json: { name: "busy", metric: "events", window: "1s", condition: { kind: "threshold", op: ">=", value: 3 } },
    });
    const alert = (await res.json()) as { id: string };
    const s = await openSocket(key, "&subscribe=alerts");
    await s.next((f) => f.type === "subscribed");

    const second = Math.floor(Date.now() / 1000) * 1000 + 2000;
    await applyAt(p.id, "burst", 4, second);
    await tick(p.id, second + 1000 + 5000); // the window's end plus the 5 s lateness
    const frame = await s.next((f) => f.type === "alert");
    expect(frame.alert).toMatchObject({ id: alert.id, name: "busy", status: "firing", value: 4, metric: "events" });

    await tick(p.id, second + 3000 + 5000);
    const rows = (await history(p.id, alert.id)).results;
    expect(rows.map((r) => [r.status, r.window_start, r.value, r.delivery])).toEqual([
      ["firing", second, 4, "none"],
      ["resolved", second + 1000, 0, "none"],
    ]);
    const api = (await (await call(`/v1/alerts/${alert.id}/history`, { token: key })).json()) as {
      events: { status: string }[];
    };
    expect(api.events.map((e) => e.status)).toEqual(["resolved", "firing"]);

    expect((await call(`/v1/alerts/${alert.id}`, { method: "DELETE", token: p.adminKey })).status).toBe(204);
    expect((await call(`/v1/alerts/${alert.id}`, { method: "DELETE", token: p.adminKey })).status).toBe(404);
    s.close();
  });

  it("fires a z-score alert on a spike over the trailing windows", async () => {
    const p = await createProject("alerts-zscore");
    const res = await call("/v1/alerts", {
      method: "POST",
      token: p.adminKey,
      json: { name: "spike", metric: "events", window: "1s", condition: { kind: "zscore", sigma: 3, min_history: 8 } },
    });
    const alert = (await res.json()) as { id: string };
    const t0 = Math.floor(Date.now() / 1000) * 1000 + 1000;
    const counts = [10, 12, 9, 11, 10, 13, 9, 10, 11, 12, 60];
    for (const [k, n] of counts.entries()) await applyAt(p.id, `z${k}`, n, t0 + k * 1000);
    await tick(p.id, t0 + counts.length * 1000 + 5000);
    const rows = (await history(p.id, alert.id)).results;
    expect(rows[0]).toMatchObject({ status: "firing", window_start: t0 + 10_000, value: 60 });
    expect(rows[0]?.reason).toMatch(/^z-score \d/);
  });

  it("keeps a webhook pending and retries with backoff when the receiver cannot be reached", async () => {
    const p = await createProject("alerts-hook");
    const created = (await (
      await call("/v1/alerts", {
        method: "POST",
        token: p.adminKey,
        json: {
          name: "h",
          metric: "events",
          window: "1m",
          condition: { kind: "threshold", op: ">", value: 0 },
          webhook_url: "http://127.0.0.1:9/unreachable",
        },
      })
    ).json()) as { id: string; webhook_secret: string };
    expect(created.webhook_secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    await env.DB.prepare(
      "INSERT INTO live_alert_events (id, project_id, alert_id, metric, status, window_size, window_start, value, reason, delivery) VALUES (?, ?, ?, 'events', 'firing', '1m', 0, 1, 'test', 'pending')",
    )
      .bind("ale_hooktest", p.id, created.id)
      .run();
    const batch = createMessageBatch("tarn-webhooks", [
      { id: "m1", timestamp: new Date(), attempts: 1, body: { v: 1, event_id: "ale_hooktest", project: p.id } },
    ]);
    const ctx = createExecutionContext();
    await consumeWebhooks(batch, env);
    const result = await getQueueResult(batch, ctx);
    expect(result.retryMessages.map((m) => m.msgId)).toEqual(["m1"]);
    expect(result.explicitAcks).toEqual([]);
    const row = await env.DB.prepare("SELECT delivery, attempts, last_error FROM live_alert_events WHERE id = ?")
      .bind("ale_hooktest")
      .first<{ delivery: string; attempts: number; last_error: string }>();
    expect(row).toMatchObject({ delivery: "pending", attempts: 1 });
    expect(row?.last_error).toBeTruthy();
  });
  it("stops calling a receiver after 5 failures in a row: its breaker opens and the delivery is retried later", async () => {
    const p = await createProject("alerts-breaker");
    const created = (await (
      await call("/v1/alerts", {
        method: "POST",
        token: p.adminKey,
        json: {
          name: "b",
          metric: "events",
          window: "1m",
          condition: { kind: "threshold", op: ">", value: 0 },
          // An origin no other test uses: breakers are per receiver and per isolate.
          webhook_url: "http://127.0.0.1:10/dead",
        },
      })
    ).json()) as { id: string };
    const deliver = async (n: number) => {
      const id = `ale_breaker${n}`;
      await env.DB.prepare(
        "INSERT INTO live_alert_events (id, project_id, alert_id, metric, status, window_size, window_start, value, reason, delivery) VALUES (?, ?, ?, 'events', 'firing', '1m', ?, 1, 'test', 'pending')",
      )
        .bind(id, p.id, created.id, n * 60_000)
        .run();
      const batch = createMessageBatch("tarn-webhooks", [
        { id: `b${n}`, timestamp: new Date(), attempts: 1, body: { v: 1, event_id: id, project: p.id } },
      ]);
      const ctx = createExecutionContext();
      await consumeWebhooks(batch, env);
      const result = await getQueueResult(batch, ctx);
      const row = await env.DB.prepare("SELECT last_error FROM live_alert_events WHERE id = ?")
        .bind(id)
        .first<{ last_error: string }>();
      return { retry: result.retryMessages[0], error: row?.last_error ?? "" };
    };
    for (let n = 0; n < 5; n++) expect((await deliver(n)).error).not.toMatch(/circuit breaker/);
    const refused = await deliver(5);
    expect(refused.error).toMatch(/circuit breaker is open/);
    // Retried (after the breaker's 60 s; the test harness does not record delays), never dropped.
    expect(refused.retry?.msgId).toBe("b5");
  });
});
