// GET /v1/dashboards/{id}/data for a dashboard of six tiles, and exports, through a real `wrangler dev`.
//
//   npx tsx bench/dashboards.bench.ts [events=200000] [runs=20] [rollups]
//
// Events come from bench/data.ts (seed 11), are sent through POST /v1/events, land and are compacted.
// The dashboard has five SQL tiles and one live-metric tile. Three figures:
//   - uncached: each run first PUTs the dashboard with a new comment in every SQL text, so the answer
//     cache cannot answer and every tile scans (or is answered by rollups, when they exist);
//   - cached: the same dashboard again, as a second viewer finds it (the answer cache);
//   - reference, in the same run: the same five SQL texts sent one after another through /v1/query
//     (what a client without /data would do), also made unique per run.
// Then PNG and PDF exports of the dashboard (render + store + answer), timed end to end.
import { startDevServer } from "../test/e2e/server";
import { generateRows } from "./data";

const total = Number(process.argv[2] ?? 200_000);
const runs = Number(process.argv[3] ?? 20);
/** `rollups`: build the rollups first, as the hourly cron would have (tiles answered from them when they can). */
const withRollups = process.argv[4] === "rollups";

const SQL: Record<string, string> = {
  by_type: "SELECT event_type, count(*) AS n FROM events GROUP BY event_type ORDER BY event_type",
  hourly: "SELECT date_trunc('hour', ts) AS h, count(*) AS n FROM events GROUP BY 1 ORDER BY 1",
  users: "SELECT approx_count_distinct(user_id) AS u FROM events",
  purchases: "SELECT count(*) AS n FROM events WHERE environment = 'production' AND event_type = 'purchase'",
  regions: "SELECT region, count(*) AS n FROM events GROUP BY region ORDER BY n DESC LIMIT 10",
};
const CHARTS: Record<string, string> = {
  by_type: "bar",
  hourly: "line",
  users: "number",
  purchases: "number",
  regions: "pie",
};

const pct = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] as number;
};
const fmt = (xs: number[]) =>
  `p50 ${pct(xs, 0.5).toFixed(0)} ms, p95 ${pct(xs, 0.95).toFixed(0)} ms, max ${Math.max(...xs).toFixed(0)} ms`;

/** Retries while the dev server restarts (wrangler reloads once when it cannot fetch Request.cf offline). */
async function retried(call: () => Promise<Response>): Promise<Response> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (attempt >= 20) throw error;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}

async function main() {
  const started = await startDevServer();
  const server = {
    ...started,
    api: (route: string, init?: Parameters<typeof started.api>[1]) => retried(() => started.api(route, init)),
  };
  try {
    const ok = async (res: Promise<Response>) => {
      const r = await res;
      if (!r.ok) throw new Error(`${r.status} ${await r.text()}`);
      return (await r.json()) as Record<string, unknown>;
    };
    const project = await ok(
      server.api("/v1/projects", { method: "POST", token: server.adminKey, json: { name: `dash-${Date.now()}` } }),
    );
    const admin = project.admin_key as string;
    const rows = generateRows(total, 11);
    const batches: unknown[][] = [];
    for (let i = 0; i < rows.length; i += 500)
      batches.push(
        rows.slice(i, i + 500).map((r) => ({
          eventType: r.event_type,
          eventId: r.event_id,
          timestamp: new Date(r.ts).toISOString(),
          userId: r.user_id ?? undefined,
          environment: r.environment ?? undefined,
          region: r.region ?? undefined,
          data: r.payload ? { payload: JSON.parse(r.payload) } : undefined,
        })),
      );
    const sendStart = Date.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: 6 }, async () => {
        while (next < batches.length) {
          const body = batches[next++];
          const r = await server.api("/v1/events", { method: "POST", token: admin, json: body });
          if (r.status !== 202) throw new Error(`ingest ${r.status}`);
          await r.arrayBuffer();
        }
      }),
    );
    for (;;) {
      const d = (await ok(server.api("/v1/datasets", { token: admin }))) as { datasets: { rows: number }[] };
      if (d.datasets.reduce((n, x) => n + x.rows, 0) >= total) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    console.log(`# ${total} events sent and landed in ${((Date.now() - sendStart) / 1000).toFixed(1)} s`);
    let job: string | null = (
      await ok(server.api("/v1/jobs", { method: "POST", token: admin, json: { type: "compact" } }))
    ).id as string;
    while (job) {
      await new Promise((r) => setTimeout(r, 500));
      const state = await ok(server.api(`/v1/jobs/${job}`, { token: admin }));
      if (state.status === "failed") throw new Error(`compaction failed: ${state.error}`);
      if (state.status === "succeeded")
        job = ((state.result as { continued_by?: string } | null)?.continued_by ?? null) as string | null;
    }
    const files = ((await ok(server.api("/v1/lake/files", { token: admin }))).files as unknown[]).length;
    console.log(`# compacted: ${files} files`);
    if (withRollups) {
      // What the hourly cron does: build the rollups the tiles' counts can be answered from.
      const rollup = (await ok(server.api("/v1/jobs", { method: "POST", token: admin, json: { type: "rollup" } })))
        .id as string;
      for (;;) {
        await new Promise((r) => setTimeout(r, 500));
        const state = await ok(server.api(`/v1/jobs/${rollup}`, { token: admin }));
        if (state.status === "failed") throw new Error(`rollup failed: ${state.error}`);
        if (state.status === "succeeded") break;
      }
      console.log("# rollups built");
    }

    const tiles = (salt: string) => [
      ...Object.entries(SQL).map(([id, sql], i) => ({
        id,
        title: id,
        chart_type: CHARTS[id],
        query: `${sql} -- ${salt}`,
        position: { x: (i % 2) * 6, y: Math.floor(i / 2) * 4, w: 6, h: 4 },
      })),
      {
        id: "live",
        title: "events per minute",
        chart_type: "area",
        metric: { name: "events", window: "1m", last: 60 },
        position: { x: 6, y: 8, w: 6, h: 4 },
      },
    ];
    const made = await ok(
      server.api("/v1/dashboards", {
        method: "POST",
        token: admin,
        json: { name: "Bench", visualizations: tiles("0") },
      }),
    );
    const id = made.dashboard_id as string;
    const timeData = async () => {
      const t = performance.now();
      const body = await ok(server.api(`/v1/dashboards/${id}/data`, { token: admin }));
      const errors = (body.visualizations as { error: unknown }[]).filter((v) => v.error);
      if (errors.length) throw new Error(`tile errors: ${JSON.stringify(errors)}`);
      return {
        ms: performance.now() - t,
        sources: (body.visualizations as { source?: string }[]).map((v) => v.source),
      };
    };
    await timeData(); // warm-up: isolate, footers
    const uncached: number[] = [];
    const cached: number[] = [];
    const reference: number[] = [];
    let sources: (string | undefined)[] = [];
    for (let run = 1; run <= runs; run++) {
      await ok(
        server.api(`/v1/dashboards/${id}`, {
          method: "PUT",
          token: admin,
          json: { name: "Bench", visualizations: tiles(`run ${run}`) },
        }),
      );
      const u = await timeData();
      uncached.push(u.ms);
      sources = u.sources;
      cached.push((await timeData()).ms);
      const t = performance.now();
      for (const sql of Object.values(SQL))
        await ok(server.api("/v1/query", { method: "POST", token: admin, json: { sql: `${sql} -- ref ${run}` } }));
      reference.push(performance.now() - t);
    }
    console.log(`events: ${total}`);
    console.log(`runs: ${runs}`);
    console.log(`tile_sources_uncached: ${sources.join(",")}`);
    console.log(`data_uncached: ${fmt(uncached)}`);
    console.log(`data_cached: ${fmt(cached)}`);
    console.log(`reference_sequential_query: ${fmt(reference)}`);
    console.log(`ratio_p50_data_uncached_over_sequential: ${(pct(uncached, 0.5) / pct(reference, 0.5)).toFixed(3)}`);
    for (const format of ["png", "pdf"] as const) {
      const times: number[] = [];
      let bytes = 0;
      for (let i = 0; i < 5; i++) {
        const t = performance.now();
        const out = await ok(
          server.api(`/v1/dashboards/${id}/export`, { method: "POST", token: admin, json: { format } }),
        );
        times.push(performance.now() - t);
        bytes = out.bytes as number;
      }
      console.log(`export_${format}: ${fmt(times)} (${bytes} bytes, 1200 px wide)`);
    }
  } finally {
    await server.stop();
  }
}

await main();
