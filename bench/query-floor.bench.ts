// The fixed cost of a /v1/query round trip on a real `wrangler dev`: sequential requests that read
// (almost) nothing, beside /health and two small metadata routes, medians of 30 each. With
// `TARN_PROFILE=n`, n more `count(*) FROM a` queries then run under the isolate's CPU profiler and
// its summary is printed: workerd's clocks stand still while the isolate computes, so the CPU a
// query spends is seen only there.
//
//   npx tsx bench/query-floor.bench.ts
//   TARN_PROFILE=300 npx tsx bench/query-floor.bench.ts
import { startDevServer } from "../test/e2e/server";
import { profiled } from "./isolate-inspector";

const REPEATS = 30;

async function medianMs(label: string, request: () => Promise<Response>): Promise<void> {
  const times: number[] = [];
  for (let i = 0; i < REPEATS; i++) {
    const t = performance.now();
    const res = await request();
    await res.arrayBuffer();
    if (!res.ok) throw new Error(`${label}: ${res.status}`);
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  console.log(`${label}: median ${times[REPEATS >> 1]?.toFixed(1)} ms, p10 ${times[3]?.toFixed(1)} ms`);
}

async function main(): Promise<void> {
  const server = await startDevServer(["--var", "RATE_LIMIT_FREE_PER_HOUR:1000000"]);
  try {
    const created = await server.api("/v1/projects", {
      method: "POST",
      token: server.adminKey,
      json: { name: "floor" },
    });
    const key = ((await created.json()) as { admin_key: string }).admin_key;
    const headers = { Authorization: `Bearer ${key}`, "Content-Type": "application/json" };
    const events = Array.from({ length: 500 }, (_, i) => ({ eventType: i % 2 ? "a" : "b", userId: `u${i % 50}` }));
    for (let k = 0; k < 4; k++) {
      const res = await fetch(`${server.url}/v1/events`, { method: "POST", headers, body: JSON.stringify(events) });
      await res.arrayBuffer();
    }
    await new Promise((r) => setTimeout(r, 3000));
    // Each query text is unique, so the answer cache never serves it.
    let salt = 0;
    const query = (sql: string) => () =>
      fetch(`${server.url}/v1/query`, {
        method: "POST",
        headers,
        body: JSON.stringify({ sql: `${sql} -- ${salt++}` }),
      });
    await medianMs("GET /health", () => fetch(`${server.url}/health`));
    await medianMs("GET /v1/datasets", () => fetch(`${server.url}/v1/datasets`, { headers }));
    await medianMs("POST /v1/query/validate", () =>
      fetch(`${server.url}/v1/query/validate`, {
        method: "POST",
        headers,
        body: JSON.stringify({ sql: "SELECT 1 AS x" }),
      }),
    );
    await medianMs("POST /v1/query SELECT 1", query("SELECT 1 AS x"));
    await medianMs("POST /v1/query count(*) FROM a", query("SELECT count(*) AS n FROM a"));
    await medianMs("POST /v1/query count(*) FROM events", query("SELECT count(*) AS n FROM events"));
    const profiledQueries = Number(process.env.TARN_PROFILE ?? 0);
    if (profiledQueries > 0) {
      const summary = await profiled(server.inspectorPort, async () => {
        for (let i = 0; i < profiledQueries; i++) await (await query("SELECT count(*) AS n FROM a")()).arrayBuffer();
      });
      console.log(`# ${profiledQueries} sequential queries, profiled`);
      for (const line of summary) console.log(line);
    }
  } finally {
    await server.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
