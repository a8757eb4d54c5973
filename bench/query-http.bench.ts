// /v1/query round trip through a real `wrangler dev` against DuckDB (single thread) over the same
// Parquet files, downloaded from the lake. Every Tarn query text is made unique with a comment so
// the 5-minute answer cache never serves it.
//
//   npx tsx bench/query-http.bench.ts [events=200000] [runs=5] [split_files=64] [compact=yes] [order=time] [queries=part1]
//
// `queries=sql2` also sends a 100k-row `customer` dimension (as events of that type) and runs the
// second edition's queries (bench/query-sql2.bench.ts) instead of part one's.
//
// Events come from bench/data.ts (seeded), are sent through POST /v1/events, land, and are compacted
// (POST /v1/jobs compact; `no` queries the bronze files instead; `auto` starts no job and watches the
// file count for two minutes after the last 202 while the lake compacts itself), as a dashboard would
// find them. `order=shuffled` sends the events in random order, so every request mixes the whole
// time span (a backfill, offline clients flushing): the small-file case. While events are sent, a
// prober sends one marker event every 2 s and times how long until SQL sees it (freshness). `split_files` is the server's QUERY_SPLIT_FILES: scans of more files are split over
// QuerySplit sub-invocations (a large number keeps every query in one invocation); TARN_BENCH_VARS
// (`NAME:value,…`) sets other vars of the server; TARN_BENCH_RATE caps the send rate (events/s);
// TARN_BENCH_STATE=dir keeps the landed lake there for later runs with the same arguments, and
// SQL2_ONLY=a,b runs only those queries. A refused query (413, 408) is reported and skipped. Prints each
// query's medians, ratio and splits, then the geometric mean. TARN_BENCH_PROFILE=1 then profiles the
// worker isolate while it answers each query again, and prints where its time went.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { startDevServer } from "../test/e2e/server";
import { mulberry32 } from "../test/seeded-random";
import { generateRows } from "./data";
import { profiled } from "./isolate-inspector";
import { DIMENSION_ROWS, dimensionUsers, planOf, SQL2_QUERIES } from "./query-sql2.bench";

const total = Number(process.argv[2] ?? 200_000);
const runs = Number(process.argv[3] ?? 5);
const splitFiles = Number(process.argv[4] ?? 64);
const compactMode = process.argv[5] ?? "yes";
const compact = compactMode === "yes";
const shuffled = process.argv[6] === "shuffled";
const sql2 = process.argv[7] === "sql2";
const CHUNK = 1_000_000;
/** TARN_BENCH_RATE: send at most this many events/s (0: as fast as the server takes them). */
const rate = Number(process.env.TARN_BENCH_RATE ?? 0);
const DAY = 86_400_000;

const PART_ONE: Record<string, string> = {
  group_by_type: "SELECT event_type, count(*) AS n FROM events GROUP BY event_type ORDER BY event_type",
  hourly: "SELECT date_trunc('hour', ts) AS h, count(*) AS n FROM events GROUP BY 1 ORDER BY 1",
  approx_users: "SELECT approx_count_distinct(user_id) AS u FROM events",
  filtered: "SELECT count(*) AS n FROM events WHERE environment = 'production' AND event_type = 'purchase'",
};

/**
 * fetch, retried while the dev server restarts (wrangler reloads once when it cannot fetch the
 * Request.cf object offline); a resent batch of events is deduplicated by event id.
 */
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

const QUERIES: Record<string, string> = sql2 ? Object.fromEntries(SQL2_QUERIES.map((q) => [q.name, q.sql])) : PART_ONE;

async function json(res: Response) {
  if (!res.ok) throw new Error(`${res.status} ${await res.text()}`);
  return res.json() as Promise<Record<string, unknown>>;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

async function main() {
  // The freshness prober queries every 2 s for as long as sending takes: past any tier's hourly limit.
  const server = await startDevServer(
    [
      "--var",
      `QUERY_SPLIT_FILES:${splitFiles}`,
      "--var",
      "RATE_LIMIT_FREE_PER_HOUR:1000000",
      // TARN_BENCH_VARS="NAME:value,…" sets more of the server's vars (e.g. compaction off while landing).
      ...(process.env.TARN_BENCH_VARS ?? "").split(",").flatMap((v) => (v ? ["--var", v] : [])),
    ],
    { state: process.env.TARN_BENCH_STATE },
  );
  const dir = mkdtempSync(path.join(tmpdir(), "tarn-qhttp-"));
  try {
    const auth = (k: string) => ({ Authorization: `Bearer ${k}`, "Content-Type": "application/json" });
    /** Sends the events, lets them land and compact; the project's admin key and compaction runs. */
    const landLake = async (): Promise<{ admin: string; runsOfCompaction: number }> => {
      const project = await json(
        await fetch(`${server.url}/v1/projects`, {
          method: "POST",
          headers: auth(server.adminKey),
          body: JSON.stringify({ name: "qbench" }),
        }),
      );
      const admin = project.admin_key as string;
      let lastAccepted = Date.now();
      let probeSeq = 0;
      /** Every 2 s until `done()`: one marker event, then SQL until it is seen; resolves to the delays. */
      const probeFreshness = async (done: () => boolean): Promise<number[]> => {
        const delays: number[] = [];
        while (!done()) {
          const id = `probe-${probeSeq++}-${Math.random().toString(36).slice(2)}`;
          const res = await fetch(`${server.url}/v1/events`, {
            method: "POST",
            headers: auth(admin),
            body: JSON.stringify({ eventType: "probe", eventId: id }),
          });
          if (res.status !== 202) throw new Error(`probe ingest ${res.status}`);
          const accepted = Date.now();
          for (let polls = 0; ; polls++) {
            const res = await fetch(`${server.url}/v1/query`, {
              method: "POST",
              headers: auth(admin),
              body: JSON.stringify({ sql: `SELECT count(*) AS n FROM probe WHERE event_id = '${id}' -- ${polls}` }),
            });
            // Until the first probe lands, the `probe` table does not exist (400).
            let seen = false;
            if (res.status === 400) await res.arrayBuffer();
            else seen = ((await json(res)).data as { n: number }[])[0]?.n === 1;
            if (seen) break;
            if (Date.now() - accepted > 60_000) throw new Error(`probe ${id} not visible after 60 s`);
            await new Promise((r) => setTimeout(r, 100));
          }
          delays.push(Date.now() - accepted);
          await new Promise((r) => setTimeout(r, 2000));
        }
        return delays;
      };
      const landedAtLeast = async (count: number) => {
        for (let landed = 0; landed < count; ) {
          await new Promise((r) => setTimeout(r, 500));
          const d = await json(await fetch(`${server.url}/v1/datasets`, { headers: auth(admin) }));
          landed = (d.datasets as { name: string; rows: number }[])
            .filter((x) => x.name !== "probe")
            .reduce((n, x) => n + x.rows, 0);
        }
      };

      const sendingStarted = Date.now();
      // Rows in chunks of a million (seed 11 + chunk, each chunk shifted by three days) so 10M fits
      // in memory; up to 1M this is exactly generateRows(total, 11).
      for (let chunk = 0; chunk * CHUNK < total; chunk++) {
        const rows = generateRows(Math.min(CHUNK, total - chunk * CHUNK), 11 + chunk);
        if (shuffled) {
          const random = mulberry32(99 + chunk);
          for (let i = rows.length - 1; i > 0; i--) {
            const j = Math.floor(random() * (i + 1));
            [rows[i], rows[j]] = [rows[j] as (typeof rows)[number], rows[i] as (typeof rows)[number]];
          }
        }
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
        const probing = probeFreshness(() => next >= batches.length);
        const chunkStarted = Date.now();
        await Promise.all(
          Array.from({ length: 6 }, async () => {
            while (next < batches.length) {
              const i = next++;
              const body = batches[i] as string;
              // TARN_BENCH_RATE: batch i leaves no earlier than its place at that many events/s.
              const due = rate > 0 ? chunkStarted + ((i * 500) / rate) * 1000 : 0;
              if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
              const res = await fetch(`${server.url}/v1/events`, { method: "POST", headers: auth(admin), body });
              if (res.status !== 202) throw new Error(`ingest ${res.status}`);
              await res.arrayBuffer();
            }
          }),
        );
        const seen = await probing;
        if (seen.length > 0) {
          const sorted = [...seen].sort((a, b) => a - b);
          const p = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]?.toFixed(0);
          console.log(
            `# freshness (202 → visible in SQL), ${seen.length} probes: p50 ${p(0.5)} ms, p95 ${p(0.95)} ms, max ${p(1)} ms`,
          );
          // In the order sent: when in the burst the slow ones came.
          console.log(`#   each probe, in order (s): ${seen.map((ms) => (ms / 1000).toFixed(1)).join(" ")}`);
        }
        lastAccepted = Date.now();
        if (total > CHUNK) {
          // Let the lake catch up before the next million: local queues hold their backlog in memory.
          await landedAtLeast(Math.min(total, (chunk + 1) * CHUNK));
          process.stderr.write(`sent and landed ${Math.min(total, (chunk + 1) * CHUNK)} events\n`);
        }
      }
      let expected = total;
      if (sql2) {
        const users = dimensionUsers(
          generateRows(Math.min(CHUNK, total), 11).flatMap((r) => (r.user_id ? [r.user_id] : [])),
        );
        const base = Date.UTC(2025, 0, 1);
        for (let i = 0; i < DIMENSION_ROWS; i += 500) {
          const body = JSON.stringify(
            users.slice(i, i + 500).map((u, k) => ({
              eventType: "customer",
              eventId: `cust-${i + k}`,
              timestamp: new Date(base + (i + k) * 1000).toISOString(),
              userId: u,
              data: { payload: { plan: planOf(i + k) } },
            })),
          );
          const res = await fetch(`${server.url}/v1/events`, { method: "POST", headers: auth(admin), body });
          if (res.status !== 202) throw new Error(`ingest ${res.status}`);
          await res.arrayBuffer();
        }
        expected += DIMENSION_ROWS;
      }
      await landedAtLeast(expected);
      const landingSeconds = (Date.now() - sendingStarted) / 1000;
      console.log(
        `# landed ${expected} events ${landingSeconds.toFixed(0)} s after the first was sent: ${(expected / landingSeconds).toFixed(0)} events/s end to end (${((lastAccepted - sendingStarted) / 1000).toFixed(0)} s sending)`,
      );
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
      if (compactMode === "auto") {
        // No job from here: the consumer queues compactions itself. Print the file count over time.
        const started = lastAccepted;
        for (;;) {
          const { files } = (await json(await fetch(`${server.url}/v1/lake/files`, { headers: auth(admin) }))) as {
            files: unknown[];
          };
          const after = ((Date.now() - started) / 1000).toFixed(0);
          console.log(`# ${after} s after the last 202: ${files.length} files`);
          if (Date.now() - started > 120_000) break;
          await new Promise((r) => setTimeout(r, 10_000));
        }
        const { jobs } = (await json(await fetch(`${server.url}/v1/jobs?limit=500`, { headers: auth(admin) }))) as {
          jobs: { status: string; error: string | null; result: Record<string, unknown> | null }[];
        };
        const byStatus = new Map<string, number>();
        for (const j of jobs) byStatus.set(j.status, (byStatus.get(j.status) ?? 0) + 1);
        console.log(`# compaction jobs: ${JSON.stringify(Object.fromEntries(byStatus))}`);
        for (const j of jobs.filter((x) => x.error)) console.log(`#   error: ${j.error}`);
        console.log(`#   last result: ${JSON.stringify(jobs[0]?.result ?? null)}`);
        // Write amplification: rows compaction read and wrote again, per row landed (500 newest jobs).
        const rewritten = jobs.reduce((n, j) => n + Number(j.result?.rows_in ?? 0), 0);
        console.log(
          `#   compaction rewrote ${rewritten} rows in ${jobs.length} jobs: ${(rewritten / expected).toFixed(2)} per row landed`,
        );
        const complaints = server
          .logs()
          .split("\n")
          .filter((l) => l.includes("compaction not queued"));
        if (complaints.length > 0) console.log(`#   ${complaints.length}× ${complaints.at(-1)}`);
      }
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
      return { admin, runsOfCompaction };
    };
    // TARN_BENCH_STATE=dir keeps the server's local state there; a later run with the same dir (and
    // arguments) queries the lake it already holds instead of landing it again.
    const keptPath = process.env.TARN_BENCH_STATE ? path.join(process.env.TARN_BENCH_STATE, "bench.json") : null;
    const kept = keptPath && existsSync(keptPath) ? JSON.parse(readFileSync(keptPath, "utf8")) : null;
    if (kept && kept.args !== process.argv.slice(2).join(" ")) {
      throw new Error(`${keptPath} holds a lake landed with other arguments: ${kept.args}`);
    }
    const { admin, runsOfCompaction } = kept ?? (await landLake());
    if (keptPath && !kept) {
      writeFileSync(keptPath, JSON.stringify({ args: process.argv.slice(2).join(" "), admin, runsOfCompaction }));
    }
    const listed = (await json(await fetch(`${server.url}/v1/lake/files`, { headers: auth(admin) }))) as {
      files: { key: string; dataset: string; layer: string; rows: number }[];
    };
    const files = listed.files.filter((f) => f.dataset !== "probe");
    // The layout queries find: files per layer, with their rows (the small-file question).
    for (const layer of new Set(files.map((f) => f.layer))) {
      const rows = files.filter((f) => f.layer === layer).map((f) => f.rows);
      console.log(
        `#   ${layer}: ${rows.length} files, rows min ${Math.min(...rows)} median ${median(rows)} max ${Math.max(...rows)}`,
      );
    }
    for (const [i, f] of files.entries()) {
      const bytes = new Uint8Array(
        await (await fetch(`${server.url}/v1/lake/files/${f.key}`, { headers: auth(admin) })).arrayBuffer(),
      );
      writeFileSync(path.join(dir, `${f.dataset === "customer" ? "customer-" : ""}f${i}.parquet`), bytes);
    }
    console.log(
      `# ${total} events (${shuffled ? "shuffled" : "in time order"}) in ${files.length} files ${compact ? `after compaction (${runsOfCompaction} runs)` : compactMode === "auto" ? "(compacting itself)" : "(bronze)"}, QUERY_SPLIT_FILES=${splitFiles}`,
    );

    const duck = await (await DuckDBInstance.create(":memory:")).connect();
    await duck.run("SET threads = 1");
    await duck.run(`CREATE VIEW events AS SELECT * FROM read_parquet('${dir}/*.parquet')`);
    if (sql2) await duck.run(`CREATE VIEW customer AS SELECT * FROM read_parquet('${dir}/customer-*.parquet')`);

    const ratios: number[] = [];
    const refused: string[] = [];
    // Unique per bench run too: a kept lake (TARN_BENCH_STATE) keeps its answer cache as well.
    const runId = Date.now().toString(36);
    let salt = 0;
    // SQL2_ONLY=name,name runs only those of the chosen queries.
    const only = process.env.SQL2_ONLY?.split(",");
    for (const [name, sql] of Object.entries(QUERIES).filter(([n]) => !only || only.includes(n))) {
      const tarn: number[] = [];
      const ddb: number[] = [];
      let splits = 0;
      for (let r = 0; r < runs; r++) {
        const t0 = performance.now();
        const res = await fetch(`${server.url}/v1/query`, {
          method: "POST",
          headers: auth(admin),
          body: JSON.stringify({ sql: `${sql} -- run ${runId}-${salt++}` }),
        });
        // A refusal (413, 408) is the query's result: reported, and the next query runs.
        if (res.status === 413 || res.status === 408) {
          const { error } = (await res.json()) as { error: { code: string; message: string } };
          refused.push(name);
          console.log(
            `${name}: refused after ${(performance.now() - t0).toFixed(0)} ms, ${res.status} ${error.code}: ${error.message}`,
          );
          break;
        }
        const answer = await json(res);
        tarn.push(performance.now() - t0);
        splits = (answer.statistics as { splits: number }).splits;
        const t1 = performance.now();
        await duck.runAndReadAll(sql);
        ddb.push(performance.now() - t1);
      }
      if (refused.includes(name)) continue;
      const ratio = median(tarn) / median(ddb);
      ratios.push(ratio);
      console.log(
        `${name}: tarn ${median(tarn).toFixed(1)} ms, duckdb ${median(ddb).toFixed(1)} ms, ratio ${ratio.toFixed(2)}, splits ${splits}`,
      );
    }
    const geo = Math.exp(ratios.reduce((a, r) => a + Math.log(r), 0) / ratios.length);
    console.log(
      `geometric mean ratio (tarn round trip / duckdb): ${geo.toFixed(2)}${refused.length > 0 ? ` (without ${refused.length} refused: ${refused.join(", ")})` : ""}`,
    );

    // TARN_BENCH_PROFILE=1: where the isolate's time goes while it answers each query `runs` more times.
    if (process.env.TARN_BENCH_PROFILE === "1") {
      for (const [name, sql] of Object.entries(QUERIES)) {
        const lines = await profiled(server.inspectorPort, async () => {
          for (let r = 0; r < runs; r++) {
            const res = await fetch(`${server.url}/v1/query`, {
              method: "POST",
              headers: auth(admin),
              body: JSON.stringify({ sql: `${sql} -- profiled ${runId}-${salt++}` }),
            });
            await json(res);
          }
        });
        console.log(`## profile of ${name} (${runs} runs)`);
        for (const line of lines) console.log(line);
      }
    }
  } catch (error) {
    console.error(`${error}\n--- server log tail ---\n${server.logs().slice(-4000)}`);
    throw error;
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
