// What metrics and the access log add to a request, in process: the access-log middleware's own work
// (two counter/histogram updates and one JSON log line) vs the verdicts of one 100-event /v1/events
// body (acceptEvent over parsed events), the CPU an ingest request spends anyway.
//
//   npx tsx bench/metrics-overhead.bench.ts [requests=20000] [batch=100]
import { acceptEvent } from "../shared/events/accept-event";
import { MetricsRegistry } from "../shared/metrics/registry";
import { mulberry32 } from "../test/seeded-random";

const requests = Number(process.argv[2] ?? 20_000);
const batch = Number(process.argv[3] ?? 100);

const rnd = mulberry32(1);
const body = JSON.stringify(
  Array.from({ length: batch }, () => ({
    eventType: "page.view",
    timestamp: new Date(Date.now() - Math.floor(rnd() * 3_600_000)).toISOString(),
    userId: `user-${Math.floor(rnd() * 10_000)}`,
    data: { payload: { path: `/p/${Math.floor(rnd() * 500)}`, ms: Math.floor(rnd() * 2000) } },
  })),
);
const edge = {
  receivedAt: Date.now(),
  requestId: "r",
  country: null,
  colo: null,
  maxEventBytes: 32 * 1024,
  newId: () => crypto.randomUUID(),
};

function ingestWork(): number {
  const items = (JSON.parse(body) as unknown[]).map((value) => ({ value }));
  let n = 0;
  items.forEach((item, i) => {
    if (acceptEvent(item, i, edge).ok) n++;
  });
  return n;
}

const registry = new MetricsRegistry();
const lines: string[] = [];
function metricsWork(i: number): void {
  const status = i % 50 === 0 ? "400" : "202";
  registry.inc("tarn_http_requests_total", ["/v1/events", "POST", status]);
  registry.observe("tarn_http_request_duration_seconds", ["/v1/events", "POST", status], (i % 97) / 1000);
  registry.inc("tarn_events_accepted_total", [], batch);
  registry.inc("tarn_queue_messages_sent_total", ["tarn-events"], 1);
  lines.push(
    JSON.stringify({
      level: "info",
      msg: "request",
      request_id: "0b6f2c2e-8d7e-4a4f-9a43-5c1f8e0d2a11",
      method: "POST",
      route: "/v1/events",
      path: "/v1/events",
      status: Number(status),
      duration_ms: i % 97,
      principal: "key:key_451bc82590e78702a6ea",
      project: "prj_a9b623e4cfa5998fa30e",
    }),
  );
  if (lines.length >= 1000) lines.length = 0;
  if (i % 1000 === 0) registry.drain(); // one flush a second at ~1,000 requests/s per isolate
}

function time(fn: () => void): number {
  const start = performance.now();
  fn();
  return performance.now() - start;
}

// Warm-up, then alternate three timed runs each.
time(() => {
  for (let i = 0; i < 2000; i++) metricsWork(i);
});
time(() => {
  for (let i = 0; i < 200; i++) ingestWork();
});
const m: number[] = [];
const g: number[] = [];
for (let run = 0; run < 3; run++) {
  m.push(
    time(() => {
      for (let i = 0; i < requests; i++) metricsWork(i);
    }) / requests,
  );
  g.push(
    time(() => {
      for (let i = 0; i < requests / 10; i++) ingestWork();
    }) /
      (requests / 10),
  );
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[1] as number;
console.log(`metrics + access log per request: ${(median(m) * 1000).toFixed(2)} µs`);
console.log(`verdicts of one ${batch}-event request: ${(median(g) * 1000).toFixed(2)} µs`);
console.log(`ratio metrics / ingest verdicts: ${(median(m) / median(g)).toFixed(4)}`);
