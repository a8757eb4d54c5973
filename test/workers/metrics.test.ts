// GET /metrics in workerd: auth, counts that follow real traffic, and shards that count a retried delta once.
import { env } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { metricsShardStub } from "../../services/stubs/metrics-shard";
import { seriesKey } from "../../shared/metrics/registry";
import { BASE, call, createKey, createProject, expectEnvelope } from "./helpers";

/** The value of one sample line, or 0 when the series is absent. */
function sampleValue(text: string, series: string): number {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

async function scrape(token: string): Promise<string> {
  const res = await call("/metrics", { token });
  expect(res.status).toBe(200);
  expect(res.headers.get("Content-Type")).toBe("text/plain; version=0.0.4; charset=utf-8");
  return res.text();
}

describe("GET /metrics", () => {
  it("needs an admin key (or METRICS_TOKEN): 401 without, 403 for an ingest key", async () => {
    const p = await createProject("metrics");
    const { key } = await createKey(p.adminKey, ["ingest"]);
    const none = await call("/metrics");
    expect(none.status).toBe(401);
    expect((await expectEnvelope(none)).code).toBe("UNAUTHORIZED");
    expect((await call("/metrics", { token: key })).status).toBe(403);
  });

  it("counts requests by route pattern and status, and events accepted and rejected by code", async () => {
    const p = await createProject("metrics");
    const { key } = await createKey(p.adminKey, ["ingest"]);
    const before = await scrape(p.adminKey);
    const events = [{ eventType: "a" }, { eventType: "b" }, { eventType: "bad/type" }, { nope: 1 }];
    const res = await call("/v1/events", { method: "POST", token: key, json: events });
    expect(res.status).toBe(202);
    const segment = await call("/v1/track", {
      method: "POST",
      token: key,
      json: { event: "Order Completed", userId: "u" },
    });
    expect(segment.status).toBe(200);
    await call("/v1/no-such-route");
    const after = await scrape(p.adminKey);

    const delta = (series: string) => sampleValue(after, series) - sampleValue(before, series);
    expect(delta('tarn_http_requests_total{route="/v1/events",method="POST",status="202"}')).toBe(1);
    expect(delta('tarn_http_requests_total{route="/v1/track",method="POST",status="200"}')).toBe(1);
    expect(delta('tarn_http_requests_total{route="unmatched",method="GET",status="404"}')).toBe(1);
    expect(delta('tarn_http_request_duration_seconds_count{route="/v1/events",method="POST",status="202"}')).toBe(1);
    expect(delta("tarn_events_accepted_total")).toBe(3);
    expect(delta('tarn_events_rejected_total{code="VALIDATION_ERROR"}')).toBe(2);
    // The scrape before this one is itself counted.
    expect(delta('tarn_http_requests_total{route="/metrics",method="GET",status="200"}')).toBe(1);
    expect(after).toMatch(/^tarn_lake_files\{layer="bronze"\} \d+$/m);
    expect(after).toMatch(/^tarn_queue_backlog_messages\{queue="tarn-events"\} \d+$/m);
  });

  it("counts live sockets opened and closed, and those open now", async () => {
    const p = await createProject("metrics-live");
    const { key } = await createKey(p.adminKey, ["query"]);
    const before = await scrape(p.adminKey);
    const res = await exports.default.fetch(
      new Request(`${BASE}/v1/live`, { headers: { Upgrade: "websocket", Authorization: `Bearer ${key}` } }),
    );
    expect(res.status).toBe(101);
    const ws = res.webSocket as WebSocket;
    ws.accept();
    const open = await scrape(p.adminKey);
    expect(
      sampleValue(open, "tarn_live_sockets_opened_total") - sampleValue(before, "tarn_live_sockets_opened_total"),
    ).toBe(1);
    expect(sampleValue(open, "tarn_live_sockets") - sampleValue(before, "tarn_live_sockets")).toBe(1);
    const closed = new Promise((resolve) => ws.addEventListener("close", resolve));
    ws.close(1000, "bye");
    await closed;
    // The hub counts the close in its own isolate's registry; its flush lands within METRICS_FLUSH_MS.
    let after = await scrape(p.adminKey);
    for (
      let i = 0;
      i < 30 && sampleValue(after, "tarn_live_sockets") !== sampleValue(before, "tarn_live_sockets");
      i++
    ) {
      await new Promise((r) => setTimeout(r, 200));
      after = await scrape(p.adminKey);
    }
    expect(sampleValue(after, "tarn_live_sockets")).toBe(sampleValue(before, "tarn_live_sockets"));
    expect(
      sampleValue(after, "tarn_live_sockets_closed_total") - sampleValue(before, "tarn_live_sockets_closed_total"),
    ).toBe(1);
  });

  it("applies an isolate's numbered delta once, however often it is sent", async () => {
    const stub = metricsShardStub(env, 900 + Math.floor(Math.random() * 1000));
    const key = seriesKey("tarn_events_accepted_total", []);
    const delta = { counters: { [key]: 5 }, histograms: {} };
    expect(await stub.apply("isolate-a", 1, delta)).toBe(true);
    expect(await stub.apply("isolate-a", 1, delta)).toBe(false);
    expect(await stub.apply("isolate-b", 1, delta)).toBe(true);
    expect(await stub.apply("isolate-a", 2, delta)).toBe(true);
    expect((await stub.totals()).counters[key]).toBe(15);
  });
});
