// POST /v1/insights over a real `wrangler dev` holding N events (default 1M, bench/data.ts, three
// days, ~20 types), against DuckDB (single thread) running the same statistics SQL over the same
// Parquet files downloaded from the lake.
//
//   npx tsx bench/insights.bench.ts [events=1000000] [runs=5]
//
// Prints the first (cold: nothing cached) and the median of later insights round trips (the query
// answer cache then serves the same SQL, as it would for a dashboard refreshing), the reference's
// median, and their ratio. The 5 s promise is about the cold figure.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { startDevServer } from "../test/e2e/server";
import { generateRows } from "./data";

const total = Number(process.argv[2] ?? 1_000_000);
const runs = Number(process.argv[3] ?? 5);
/** fetch, retried while the dev server restarts (wrangler reloads once when it cannot fetch Request.cf offline). */
const fetch: typeof globalThis.fetch = async (input, init) => {
  for (let attempt = 0; ; attempt++) {
    try {
      return await globalThis.fetch(input, init);
    } catch (error) {
      if (attempt >= 20) throw error;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
};

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

async function json(res: Response) {
  if (!res.ok) throw new Error(`${res.status} ${await res.text()}`);
  return res.json() as Promise<Record<string, unknown>>;
}

const server = await startDevServer();
const dir = mkdtempSync(path.join(tmpdir(), "tarn-insights-"));
try {
  const auth = (k: string) => ({ Authorization: `Bearer ${k}`, "Content-Type": "application/json" });
  const project = await json(
    await fetch(`${server.url}/v1/projects`, {
      method: "POST",
      headers: auth(server.adminKey),
      body: JSON.stringify({ name: "insights-bench" }),
    }),
  );
  const admin = project.admin_key as string;
  const rows = generateRows(total, 11);
  const batches: string[] = [];
  for (let i = 0; i < rows.length; i += 500) {
    batches.push(
      JSON.stringify(
        rows.slice(i, i + 500).map((r) => ({
          eventType: r.event_type,
          eventId: r.event_id,
          timestamp: new Date(r.ts).toISOString(),
          userId: r.user_id ?? undefined,
          sessionId: r.session_id ?? undefined,
          data: r.payload ? { payload: JSON.parse(r.payload) } : undefined,
        })),
      ),
    );
  }
  const from = rows.reduce((m, r) => Math.min(m, r.ts), Number.POSITIVE_INFINITY);
  const to = rows.reduce((m, r) => Math.max(m, r.ts), 0) + 1;
  let next = 0;
  await Promise.all(
    Array.from({ length: 6 }, async () => {
      while (next < batches.length) {
        const body = batches[next++] as string;
        // A batch cut off by a dev-server restart is sent again (events are deduplicated by id).
        for (let attempt = 0; ; attempt++) {
          try {
            const res = await fetch(`${server.url}/v1/events`, { method: "POST", headers: auth(admin), body });
            await res.arrayBuffer();
            if (res.status !== 202) throw new Error(`ingest ${res.status}`);
            break;
          } catch (error) {
            if (attempt >= 20) throw error;
            await new Promise((r) => setTimeout(r, 1000));
          }
        }
      }
    }),
  );
  for (let landed = 0; landed < total; ) {
    await new Promise((r) => setTimeout(r, 1000));
    const d = await json(await fetch(`${server.url}/v1/datasets`, { headers: auth(admin) }));
    landed = (d.datasets as { rows: number }[]).reduce((n, x) => n + x.rows, 0);
  }
  process.stderr.write(`landed ${total} events\n`);
  // Compacted and rolled up, as the hourly cron leaves the lake: wait until no job is queued or running.
  for (const type of ["compact", "rollup"]) {
    await json(
      await fetch(`${server.url}/v1/jobs`, { method: "POST", headers: auth(admin), body: JSON.stringify({ type }) }),
    );
    for (;;) {
      await new Promise((r) => setTimeout(r, 2000));
      const { jobs } = (await json(await fetch(`${server.url}/v1/jobs?limit=100`, { headers: auth(admin) }))) as {
        jobs: { status: string }[];
      };
      if (jobs.every((j) => j.status === "succeeded" || j.status === "failed")) break;
    }
  }

  const body = JSON.stringify({
    dataset: "events",
    from: new Date(from).toISOString(),
    to: new Date(to).toISOString(),
  });
  const times: number[] = [];
  let answer: Record<string, unknown> = {};
  let coldGenerated = 0;
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    answer = await json(await fetch(`${server.url}/v1/insights`, { method: "POST", headers: auth(admin), body }));
    times.push(performance.now() - started);
    if (i === 0) coldGenerated = answer.generated_in_ms as number;
  }

  const { files } = (await json(await fetch(`${server.url}/v1/lake/files`, { headers: auth(admin) }))) as {
    files: { key: string }[];
  };
  const paths: string[] = [];
  for (const [i, f] of files.entries()) {
    const res = await fetch(`${server.url}/v1/lake/files/${f.key}`, { headers: auth(admin) });
    const p = path.join(dir, `f${i}.parquet`);
    writeFileSync(p, new Uint8Array(await res.arrayBuffer()));
    paths.push(p);
  }
  const duck = await (await DuckDBInstance.create(":memory:")).connect();
  await duck.run("SET threads = 1");
  await duck.run("SET TimeZone = 'UTC'");
  await duck.run(`CREATE VIEW events AS SELECT * FROM read_parquet([${paths.map((p) => `'${p}'`).join(",")}])`);
  const iso = (ms: number) => new Date(ms).toISOString().replace("T", " ").replace("Z", "");
  const range = `ts >= TIMESTAMP '${iso(from)}' AND ts < TIMESTAMP '${iso(to)}'`;
  // The two statements insights runs for `events` (services/ai/insights.ts).
  const reference = [
    `SELECT date_trunc('hour', ts) AS b, count(*) AS n, count(DISTINCT user_id) AS users FROM events WHERE ${range} GROUP BY 1 ORDER BY 1`,
    `SELECT date_trunc('hour', ts) AS b, event_type, count(*) AS n FROM events WHERE ${range} GROUP BY 1, 2`,
  ];
  const refTimes: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    for (const sql of reference) await duck.runAndReadAll(sql);
    refTimes.push(performance.now() - started);
  }
  const warm = median(times.slice(1));
  console.log(`events ${total}, files ${files.length}, runs ${runs}`);
  console.log(
    `insights cold ${times[0]?.toFixed(0)} ms (generated_in_ms ${coldGenerated}), warm median ${warm.toFixed(0)} ms (generated_in_ms ${answer.generated_in_ms})`,
  );
  console.log(`duckdb (same SQL, 1 thread) median ${median(refTimes).toFixed(0)} ms`);
  console.log(`ratio cold / duckdb ${((times[0] as number) / median(refTimes)).toFixed(2)}`);
  console.log(
    `anomalies ${(answer.anomalies as unknown[]).length}, trends ${(answer.trends as unknown[]).length}, degraded ${answer.degraded}`,
  );
} finally {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
}
