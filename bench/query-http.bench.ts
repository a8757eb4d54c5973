// /v1/query round trip through a real `wrangler dev` against DuckDB (single thread) over the same
// Parquet files, downloaded from the lake. Every Tarn query text is made unique with a comment so
// the 5-minute answer cache never serves it.
//
//   npx tsx bench/query-http.bench.ts [events=200000] [runs=5] [split_files=64] [compact=yes]
//
// Events come from bench/data.ts (seeded), are sent through POST /v1/events, land, and are compacted
// (POST /v1/jobs compact; `no` queries the hourly bronze files instead), as a dashboard would find
// them. `split_files` is the server's QUERY_SPLIT_FILES: scans of more files are split over
// QuerySplit sub-invocations (a large number keeps every query in one invocation). Prints each
// query's medians, ratio and splits, then the geometric mean.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { startDevServer } from "../test/e2e/server";
import { generateRows } from "./data";

const total = Number(process.argv[2] ?? 200_000);
const runs = Number(process.argv[3] ?? 5);
const splitFiles = Number(process.argv[4] ?? 64);
const compact = (process.argv[5] ?? "yes") !== "no";
const CHUNK = 1_000_000;
const DAY = 86_400_000;

const QUERIES: Record<string, string> = {
  group_by_type: "SELECT event_type, count(*) AS n FROM events GROUP BY event_type ORDER BY event_type",
  hourly: "SELECT date_trunc('hour', ts) AS h, count(*) AS n FROM events GROUP BY 1 ORDER BY 1",
  approx_users: "SELECT approx_count_distinct(user_id) AS u FROM events",
  filtered: "SELECT count(*) AS n FROM events WHERE environment = 'production' AND event_type = 'purchase'",
};

async function json(res: Response) {
  if (!res.ok) throw new Error(`${res.status} ${await res.text()}`);
  return res.json() as Promise<Record<string, unknown>>;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

async function main() {
  const server = await startDevServer(["--var", `QUERY_SPLIT_FILES:${splitFiles}`]);
  const dir = mkdtempSync(path.join(tmpdir(), "tarn-qhttp-"));
  try {
    const auth = (k: string) => ({ Authorization: `Bearer ${k}`, "Content-Type": "application/json" });
    const project = await json(
      await fetch(`${server.url}/v1/projects`, {
        method: "POST",
        headers: auth(server.adminKey),
        body: JSON.stringify({ name: "qbench" }),
      }),
    );
    const admin = project.admin_key as string;
    const landedAtLeast = async (count: number) => {
      for (let landed = 0; landed < count; ) {
        await new Promise((r) => setTimeout(r, 500));
        const d = await json(await fetch(`${server.url}/v1/datasets`, { headers: auth(admin) }));
        landed = (d.datasets as { rows: number }[]).reduce((n, x) => n + x.rows, 0);
      }
    };

    // Rows in chunks of a million (seed 11 + chunk, each chunk shifted by three days) so 10M fits
    // in memory; up to 1M this is exactly generateRows(total, 11).
    for (let chunk = 0; chunk * CHUNK < total; chunk++) {
      const rows = generateRows(Math.min(CHUNK, total - chunk * CHUNK), 11 + chunk);
      const shift = chunk * 3 * DAY;
      const batches: string[] = [];
      for (let i = 0; i < rows.length; i += 500) {
        batches.push(
          JSON.stringify(
            rows.slice(i, i + 500).map((r) => ({
              eventType: r.event_type,
              eventId: chunk === 0 ? r.event_id : `${r.event_id}-${chunk}`,
              timestamp: new Date(r.ts + shift).toISOString(),
              userId: r.user_id ?? undefined,
              sessionId: r.session_id ?? undefined,
              eventSource: r.source ?? undefined,
              environment: r.environment ?? undefined,
              region: r.region ?? undefined,
              data: r.payload ? { payload: JSON.parse(r.payload) } : undefined,
            })),
          ),
        );
      }
      let next = 0;
      await Promise.all(
        Array.from({ length: 6 }, async () => {
          while (next < batches.length) {
            const body = batches[next++] as string;
            const res = await fetch(`${server.url}/v1/events`, { method: "POST", headers: auth(admin), body });
            if (res.status !== 202) throw new Error(`ingest ${res.status}`);
            await res.arrayBuffer();
          }
        }),
      );
      if (total > CHUNK) {
        // Let the lake catch up before the next million: local queues hold their backlog in memory.
        await landedAtLeast(Math.min(total, (chunk + 1) * CHUNK));
        process.stderr.write(`sent and landed ${Math.min(total, (chunk + 1) * CHUNK)} events\n`);
      }
    }
    await landedAtLeast(total);
    // A compaction run reads at most COMPACT_MAX_FILES_PER_RUN files and hands the rest to a
    // follow-up job (`result.continued_by`): wait for the whole chain.
    let jobId = !compact
      ? null
      : ((
          await json(
            await fetch(`${server.url}/v1/jobs`, {
              method: "POST",
              headers: auth(admin),
              body: JSON.stringify({ type: "compact" }),
            }),
          )
        ).id as string);
    let runsOfCompaction = 0;
    while (jobId) {
      await new Promise((r) => setTimeout(r, 500));
      const state = await json(await fetch(`${server.url}/v1/jobs/${jobId}`, { headers: auth(admin) }));
      if (state.status === "failed" || (state.attempts as number) > 1) {
        throw new Error(
          `compaction ${state.status} after ${state.attempts} attempts: ${state.error}\n${server.logs().slice(-3000)}`,
        );
      }
      if (state.status === "succeeded") {
        runsOfCompaction++;
        jobId = ((state.result as { continued_by?: string } | null)?.continued_by ?? null) as string | null;
      }
    }
    const { files } = (await json(await fetch(`${server.url}/v1/lake/files`, { headers: auth(admin) }))) as {
      files: { key: string }[];
    };
    for (const [i, f] of files.entries()) {
      const bytes = new Uint8Array(
        await (await fetch(`${server.url}/v1/lake/files/${f.key}`, { headers: auth(admin) })).arrayBuffer(),
      );
      writeFileSync(path.join(dir, `f${i}.parquet`), bytes);
    }
    console.log(
      `# ${total} events in ${files.length} files ${compact ? `after compaction (${runsOfCompaction} runs)` : "(bronze)"}, QUERY_SPLIT_FILES=${splitFiles}`,
    );

    const duck = await (await DuckDBInstance.create(":memory:")).connect();
    await duck.run("SET threads = 1");
    await duck.run(`CREATE VIEW events AS SELECT * FROM read_parquet('${dir}/*.parquet')`);

    const ratios: number[] = [];
    let salt = 0;
    for (const [name, sql] of Object.entries(QUERIES)) {
      const tarn: number[] = [];
      const ddb: number[] = [];
      let splits = 0;
      for (let r = 0; r < runs; r++) {
        const t0 = performance.now();
        const res = await fetch(`${server.url}/v1/query`, {
          method: "POST",
          headers: auth(admin),
          body: JSON.stringify({ sql: `${sql} -- run ${salt++}` }),
        });
        const answer = await json(res);
        tarn.push(performance.now() - t0);
        splits = (answer.statistics as { splits: number }).splits;
        const t1 = performance.now();
        await duck.runAndReadAll(sql);
        ddb.push(performance.now() - t1);
      }
      const ratio = median(tarn) / median(ddb);
      ratios.push(ratio);
      console.log(
        `${name}: tarn ${median(tarn).toFixed(1)} ms, duckdb ${median(ddb).toFixed(1)} ms, ratio ${ratio.toFixed(2)}, splits ${splits}`,
      );
    }
    const geo = Math.exp(ratios.reduce((a, r) => a + Math.log(r), 0) / ratios.length);
    console.log(`geometric mean ratio (tarn round trip / duckdb): ${geo.toFixed(2)}`);
  } catch (error) {
    console.error(`${error}\n--- server log tail ---\n${server.logs().slice(-4000)}`);
    throw error;
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
